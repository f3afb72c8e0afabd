/** The malicious-coordinator attacks (malicious-coordinator.suite.ts) on a multisig-tapscript custody. */
import { maliciousCoordinatorSuite } from './malicious-coordinator.suite.ts';

maliciousCoordinatorSuite('multisig-tapscript');
