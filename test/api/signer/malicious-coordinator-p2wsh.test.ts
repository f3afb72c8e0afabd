/** The malicious-coordinator attacks (malicious-coordinator.suite.ts) on a multisig-p2wsh custody. */
import { maliciousCoordinatorSuite } from './malicious-coordinator.suite.ts';

maliciousCoordinatorSuite('multisig-p2wsh');
