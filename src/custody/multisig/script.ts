/** The few Bitcoin script encodings the multi-sig scripts need (no transaction building here). */
import { InvalidInputError } from '../../shared/errors.ts';

export const OP = {
  CHECKSIG: 0xac,
  CHECKSIGADD: 0xba,
  CHECKMULTISIG: 0xae,
  NUMEQUAL: 0x9c,
} as const;

/** Minimal push of a small integer: OP_1..OP_16, else a minimal CScriptNum push. */
export function pushNumber(n: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > 999)
    throw new InvalidInputError(`script number ${n} out of range`);
  if (n <= 16) return [0x50 + n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.push(v & 0xff);
  if ((bytes[bytes.length - 1] as number) & 0x80) bytes.push(0);
  return [bytes.length, ...bytes];
}

export function pushData(data: Uint8Array): number[] {
  if (data.length > 75)
    throw new InvalidInputError('pushData: only direct pushes of up to 75 bytes');
  return [data.length, ...data];
}

export function compactSize(n: number): number[] {
  if (n < 0xfd) return [n];
  if (n <= 0xffff) return [0xfd, n & 0xff, n >> 8];
  throw new InvalidInputError('compactSize: script too long');
}
