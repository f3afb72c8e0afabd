/** The custody script types, one module each, behind one shape (./types.ts). */
import { InvalidInputError } from '../../shared/errors.ts';
import { p2trKeyPath } from './p2tr-key-path.ts';
import { p2wshSortedMulti } from './p2wsh-sortedmulti.ts';
import { tapscriptMultiA } from './tapscript-multi-a.ts';
import type { CustodyType } from './types.ts';

export { p2trKeyPath } from './p2tr-key-path.ts';
export { p2wshSortedMulti } from './p2wsh-sortedmulti.ts';
export { NUMS_INTERNAL_KEY, tapscriptMultiA } from './tapscript-multi-a.ts';
export type * from './types.ts';

/** What a custody key record says about its output, as the coordinator and signers store it. */
export type CustodySpec =
  | { scheme: 'frost'; outputKey: string }
  | { scheme: 'multisig-p2wsh' | 'multisig-tapscript'; threshold: number; publicKeys: string[] };

export function custodyType(spec: CustodySpec): CustodyType {
  switch (spec.scheme) {
    case 'frost':
      return p2trKeyPath({ outputKey: spec.outputKey });
    case 'multisig-p2wsh':
      return p2wshSortedMulti(spec);
    case 'multisig-tapscript':
      return tapscriptMultiA(spec);
    default:
      throw new InvalidInputError('scheme: expected frost, multisig-p2wsh or multisig-tapscript', {
        field: 'scheme',
      });
  }
}
