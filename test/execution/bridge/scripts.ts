/** Standard output scripts with random hashes, built byte by byte from their templates. */
import type { ScriptType } from '../../../src/shared/networks.ts';

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export function standardScript(type: ScriptType): Uint8Array {
  switch (type) {
    case 'p2pkh':
      return Uint8Array.from([0x76, 0xa9, 0x14, ...randomBytes(20), 0x88, 0xac]);
    case 'p2sh':
      return Uint8Array.from([0xa9, 0x14, ...randomBytes(20), 0x87]);
    case 'p2wpkh':
      return Uint8Array.from([0x00, 0x14, ...randomBytes(20)]);
    case 'p2wsh':
      return Uint8Array.from([0x00, 0x20, ...randomBytes(32)]);
    case 'p2tr':
      return Uint8Array.from([0x51, 0x20, ...randomBytes(32)]);
  }
}
