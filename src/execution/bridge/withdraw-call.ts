/**
 * The calldata of the bridge's `withdraw(bytes scriptPubKey)` (Solidity ABI: the 4-byte
 * selector, the offset 0x20 of the dynamic argument, its length, its bytes right-padded to 32).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';

export const WEI_PER_SAT = 10n ** 10n;

function word(n: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(28, n);
  return out;
}

const SELECTOR = keccak_256(new TextEncoder().encode('withdraw(bytes)')).subarray(0, 4);

export function encodeWithdraw(script: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(script.length / 32) * 32);
  padded.set(script);
  return Uint8Array.from([...SELECTOR, ...word(0x20), ...word(script.length), ...padded]);
}
