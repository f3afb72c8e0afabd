/** Signed rollup transactions that withdraw to Bitcoin scripts through the bridge. */
import { BRIDGE_ADDRESS } from '../../src/execution/bridge/artifact.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../execution/bridge/harness.ts';
import { type Key, signTx } from '../execution/support/txs.ts';

export type Payout = { scriptPubKey: string; sats: bigint };

/** One withdrawal transaction per payout, from `key`, with nonces counted from 0 across calls. */
export function withdrawalSigner(key: Key): (payouts: Payout[]) => string[] {
  let nonce = 0n;
  return (payouts) =>
    payouts.map((p) =>
      signTx(key, {
        nonce: nonce++,
        to: BRIDGE_ADDRESS,
        value: p.sats * WEI_PER_SAT,
        data: encodeWithdraw(Uint8Array.from(Buffer.from(p.scriptPubKey, 'hex'))),
        gasLimit: 200_000n,
        maxFee: 7n,
        tip: 0n,
      }),
    );
}
