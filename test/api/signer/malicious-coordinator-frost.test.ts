/** The malicious-coordinator attacks (malicious-coordinator.suite.ts) on a frost custody. */
import { maliciousCoordinatorSuite } from './malicious-coordinator.suite.ts';

maliciousCoordinatorSuite('frost');
