/**
 * An independent formulation of the withdrawals root for cross-checking src/execution/bridge/
 * merkle.ts: node:crypto instead of noble, and RFC 6962's recursive split (left subtree = the
 * largest power of two strictly below n) instead of level-by-level pairing with promotion.
 * The two definitions give the same tree; the test checks it for every n up to 40.
 */
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function tagged(tag: string, msg: Uint8Array): Buffer {
  const t = sha256(Buffer.from(tag, 'utf8'));
  return sha256(t, t, msg);
}

export interface RefWithdrawal {
  index: bigint;
  amountSats: bigint;
  script: Buffer;
}

export function refLeafPreimage(w: RefWithdrawal): Buffer {
  const head = Buffer.alloc(17);
  head.writeBigUInt64LE(w.index, 0);
  head.writeBigUInt64LE(w.amountSats, 8);
  head.writeUInt8(w.script.length, 16);
  return Buffer.concat([head, w.script]);
}

function subtree(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  const left = subtree(leaves.slice(0, k));
  const right = subtree(leaves.slice(k));
  return tagged('rollup-custody/withdrawal/node', Buffer.concat([left, right]));
}

export function refRoot(ws: RefWithdrawal[]): string {
  const leaves = ws.map((w) => tagged('rollup-custody/withdrawal/leaf', refLeafPreimage(w)));
  const top = leaves.length === 0 ? Buffer.alloc(32) : subtree(leaves);
  const count = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(ws.length));
  return `0x${tagged('rollup-custody/withdrawals/root', Buffer.concat([count, top])).toString('hex')}`;
}
