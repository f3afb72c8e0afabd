/**
 * A real institution co-signs: litecoind 0.21's own wallet holds one of the three keys of a
 * P2WSH sortedmulti 2-of-3 custody and signs our exported settlement PSBT with
 * `walletprocesspsbt`; we import its signature, finalise, and the node accepts and mines it.
 *
 * What Litecoin Core 0.21 needs (found with decodepsbt / analyzepsbt on this node): nothing
 * imported. A legacy (non-descriptor) wallet, the 0.21 default, signs a P2WSH multisig input for
 * any key it holds (here a `getnewaddress` key, its pubkey from `getaddressinfo`) as long as the
 * PSBT input carries `witnessUtxo` and `witnessScript`, which ours does: no `importaddress` /
 * `importmulti` of the script, the signer takes the witness script from the PSBT.
 *
 * What it does with the result: when its signature completes an input (ours was already there,
 * 2 of 2 needed), `walletprocesspsbt` FINALISES it and answers `complete: true`: partialSig and
 * witnessScript are replaced by finalScriptWitness [<>, sig, sig, script]. 0.21 has no
 * `finalize` argument (Bitcoin Core added it in 24, default true). So the upload carries the
 * institution's signature only inside the witness; importSignatures recovers it from there
 * (matching it to its key by verifying against our sighash). When it signs first (no signature
 * of ours yet), it leaves a partialSig and answers `complete: false`.
 *
 * RPC sequence: createwallet institution; getnewaddress "" bech32 + getaddressinfo (pubkey);
 * deriveaddresses of our wsh(sortedmulti) descriptor; test wallet sendtoaddress to the custody
 * address, mined; walletprocesspsbt <base64> true ALL (institution wallet); analyzepsbt and
 * finalizepsbt of the combined PSBT; testmempoolaccept; sendrawtransaction; generatetoaddress.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { address as btcAddress } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGHASH_ALL, signP2wshPartial } from '../../src/custody/multisig/partial-sign.ts';
import { BitcoinCoreBackend } from '../../src/settlement/backend/bitcoin-core.ts';
import type { ChainOutput } from '../../src/settlement/backend/types.ts';
import { type BuiltSettlement, buildSettlement } from '../../src/settlement/build.ts';
import { type CustodyType, p2wshSortedMulti } from '../../src/settlement/custody-types/index.ts';
import { deriveCustodyOutput } from '../../src/settlement/descriptors.ts';
import { finalizeSettlement } from '../../src/settlement/finalize.ts';
import { exportPsbt, importSignatures, parsePsbt } from '../../src/settlement/psbt.ts';
import type { BridgeWithdrawal } from '../../src/settlement/withdrawals.ts';
import { type Litecoind, startLitecoind, TEST_WALLET } from '../support/litecoind.ts';
import { fromHex, head, network, policyFor, secretKey, toHex } from './support.ts';

const INSTITUTION = 'institution';

let node: Litecoind;
let backend: BitcoinCoreBackend;
/** Our two keys; the third is the institution wallet's. */
const ours = [secretKey(10), secretKey(11)];
let institutionKey: string;
let custody: CustodyType;
let custodyAddress: string;

beforeAll(async () => {
  node = await startLitecoind();
  backend = new BitcoinCoreBackend({ network: 'litecoin-regtest', rpcUrl: node.rpcUrl });
  await node.createWallet(INSTITUTION);
  const info = await node.rpc<{ pubkey: string; ismine: boolean }>(
    'getaddressinfo',
    [await node.newAddress(INSTITUTION)],
    INSTITUTION,
  );
  expect(info.ismine).toBe(true);
  institutionKey = info.pubkey;
  const publicKeys = [...ours.map((sk) => toHex(secp256k1.getPublicKey(sk, true))), institutionKey];
  custody = p2wshSortedMulti({ threshold: 2, publicKeys });
  custodyAddress = btcAddress.fromOutputScript(custody.scriptPubKey, network.bitcoinjs);
  // The node derives the same address from our descriptor (the institution's watch-only view).
  const { descriptor } = deriveCustodyOutput(
    { scheme: 'multisig-p2wsh', threshold: 2, publicKeys },
    'litecoin-regtest',
  );
  expect(await node.rpc<string[]>('deriveaddresses', [descriptor])).toEqual([custodyAddress]);
});
afterAll(() => node?.stop());

async function fundCustody(sats: bigint): Promise<ChainOutput> {
  const { txid, vout } = await node.fund(custodyAddress, sats);
  const out = await backend.getUnspent({ txid, vout });
  if (out === null) throw new Error(`funding ${txid}:${vout} is not unspent`);
  return out;
}

interface Payee {
  address: string;
  scriptPubKey: string;
  amountSats: bigint;
}

async function payees(amounts: bigint[]): Promise<Payee[]> {
  return Promise.all(
    amounts.map(async (amountSats) => {
      const address = await node.newAddress(TEST_WALLET);
      const scriptPubKey = toHex(btcAddress.toOutputScript(address, network.bitcoinjs));
      return { address, scriptPubKey, amountSats };
    }),
  );
}

function queueFor(list: readonly Payee[]): BridgeWithdrawal[] {
  return list.map((p, i) => ({
    index: `0x${i.toString(16)}`,
    scriptPubKey: `0x${p.scriptPubKey}`,
    amountSats: `0x${p.amountSats.toString(16)}`,
  }));
}

function build(current: ChainOutput, topUps: ChainOutput[], list: readonly Payee[]) {
  const r = buildSettlement({ current, topUps }, queueFor(list), head, 10, policyFor(custody));
  if (r.status !== 'built') throw new Error(r.reason);
  return r;
}

/** Our signer `who` signs every input through the custody module's P2WSH signing path. */
function signOurs(s: BuiltSettlement, who: number): void {
  const sk = ours[who] as Uint8Array;
  for (let i = 0; i < s.inputs.length; i++) {
    const sighash = custody.sighash(s.unsignedTx, i, s.prevouts);
    const signature = fromHex(
      signP2wshPartial({ secretKey: sk, sighash, sighashType: SIGHASH_ALL }),
    );
    custody.addSignatures(s.psbt, i, [{ publicKey: secp256k1.getPublicKey(sk, true), signature }]);
  }
}

interface ProcessedPsbt {
  psbt: string;
  complete: boolean;
}

/** The institution's wallet signs whatever it can in the PSBT it was sent. */
function institutionSigns(psbtBase64: string): Promise<ProcessedPsbt> {
  return node.rpc<ProcessedPsbt>('walletprocesspsbt', [psbtBase64, true, 'ALL'], INSTITUTION);
}

const sigKeys = (s: BuiltSettlement, i: number) =>
  custody.signaturesIn(s.psbt, i).map((x) => toHex(x.publicKey));

describe('litecoind co-signs a P2WSH 2-of-3 settlement with its own wallet key', () => {
  it('litecoind finalises our half-signed PSBT; the import recovers exactly its signature from the witness; our finaliser and the node agree; the settlement is mined and pays', async () => {
    const current = await fundCustody(2_000_000n);
    const topUp = await fundCustody(300_000n);
    const list = await payees([150_000n, 250_000n]);
    const s = build(current, [topUp], list);
    expect(s.inputs).toHaveLength(2);
    signOurs(s, 0);

    const processed = await institutionSigns(exportPsbt(s.psbt));
    // Its signature completed both inputs, so the node finalised them (see the header).
    expect(processed.complete).toBe(true);
    const upload = parsePsbt(processed.psbt, network);
    for (const input of upload.data.inputs) {
      expect(input.partialSig).toBeUndefined();
      expect(input.finalScriptWitness).toBeDefined();
    }
    const result = importSignatures(s, upload, custody);

    expect(result.added).toEqual(
      s.inputs.map((_, input) => ({ input, publicKey: institutionKey })),
    );
    expect(result.signatureCounts).toEqual([2, 2]);
    for (let i = 0; i < s.inputs.length; i++) {
      expect(sigKeys(s, i).sort()).toEqual(
        [toHex(secp256k1.getPublicKey(ours[0] as Uint8Array, true)), institutionKey].sort(),
      );
    }

    // The node's own view of the combined PSBT: complete, and its finaliser builds our bytes.
    const combined = exportPsbt(s.psbt);
    const analysis = await node.rpc<{ next: string; inputs: { is_final: boolean }[] }>(
      'analyzepsbt',
      [combined],
    );
    expect(analysis.next).toBe('finalizer');
    const final = finalizeSettlement(s, custody);
    const nodeFinal = await node.rpc<{ hex: string; complete: boolean }>('finalizepsbt', [
      combined,
    ]);
    expect(nodeFinal.complete).toBe(true);
    expect(nodeFinal.hex).toBe(final.rawTx);
    // ...and the transaction litecoind itself finalised is the same, witness for witness.
    const nodeOwn = await node.rpc<{ hex: string }>('finalizepsbt', [processed.psbt]);
    expect(nodeOwn.hex).toBe(final.rawTx);

    const [accept] = await node.rpc<{ txid: string; allowed: boolean; 'reject-reason'?: string }[]>(
      'testmempoolaccept',
      [[final.rawTx]],
    );
    expect(accept).toMatchObject({ txid: s.txid, allowed: true });
    expect(await node.rpc<string>('sendrawtransaction', [final.rawTx])).toBe(s.txid);
    await node.mine(1);

    expect(await backend.getUnspent(current)).toBeNull();
    expect(await backend.getUnspent(topUp)).toBeNull();
    const change = await backend.getUnspent({ txid: s.txid, vout: 0 });
    expect(change).toMatchObject({
      valueSats: s.changeSats,
      scriptPubKey: toHex(custody.scriptPubKey),
      confirmations: 1,
    });
    for (const [k, p] of list.entries()) {
      expect(await backend.getUnspent({ txid: s.txid, vout: 2 + k })).toMatchObject({
        valueSats: p.amountSats,
        scriptPubKey: p.scriptPubKey,
        confirmations: 1,
      });
    }
  });

  it('a PSBT litecoind signed for a different settlement (one payout changed) is refused, naming output 2, and nothing is merged', async () => {
    const current = await fundCustody(1_000_000n);
    const list = await payees([100_000n, 200_000n]);
    const s = build(current, [], list);
    // The same records except 1,000 sats moved between the payouts: same fee, same change, so
    // the first difference is the first payout itself.
    const altered = list.map((p, k) => ({
      ...p,
      amountSats: p.amountSats + (k === 0 ? -1000n : 1000n),
    }));
    const other = build(current, [], altered);
    signOurs(s, 1);

    // litecoind signs the other one first (no signature of ours in it): it adds a partialSig
    // and cannot finalise. It did sign: the refusal below is ours, not a missing signature.
    const processed = await institutionSigns(exportPsbt(other.psbt));
    expect(processed.complete).toBe(false);
    const upload = parsePsbt(processed.psbt, network);
    expect(custody.signaturesIn(upload, 0).map((x) => toHex(x.publicKey))).toEqual([
      institutionKey,
    ]);

    expect(() => importSignatures(s, upload, custody)).toThrow(
      'psbt: not this settlement: output 2 pays 99000 sats, expected 100000',
    );
    expect(sigKeys(s, 0)).toEqual([toHex(secp256k1.getPublicKey(ours[1] as Uint8Array, true))]);
  });
});
