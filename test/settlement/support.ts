/**
 * Shared fixtures for the settlement unit tests: custody types with real keys, signing through
 * the custody module's own signing paths, and chain outputs (pure logic: no node needed here).
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { payments } from 'bitcoinjs-lib';
import {
  SIGHASH_ALL,
  signP2wshPartial,
  signTapscriptPartial,
} from '../../src/custody/multisig/partial-sign.ts';
import type { ChainOutput } from '../../src/settlement/backend/types.ts';
import type { BuiltSettlement, SettlementPolicy } from '../../src/settlement/build.ts';
import {
  type CustodyType,
  p2trKeyPath,
  p2wshSortedMulti,
  tapscriptMultiA,
} from '../../src/settlement/custody-types/index.ts';
import { settlementNetwork } from '../../src/settlement/networks.ts';
import type { BridgeWithdrawal } from '../../src/settlement/withdrawals.ts';

export const network = settlementNetwork('litecoin-regtest');

/** A deterministic secret key from a small seed (tests only). */
export function secretKey(seed: number): Uint8Array {
  const bytes = new Uint8Array(32);
  bytes[31] = seed;
  bytes[0] = 0x42;
  return bytes;
}

export interface TestCustody {
  custody: CustodyType;
  /** Signs input `index` of the settlement with signer `who` (an index into the secrets). */
  sign(settlement: BuiltSettlement, index: number, who: number): void;
  secrets: Uint8Array[];
}

export function frostCustody(): TestCustody {
  // One key standing in for the FROST group: key path signing is the same BIP340 signature.
  const sk = secretKey(1);
  const custody = p2trKeyPath({ outputKey: schnorr.getPublicKey(sk) });
  return {
    custody,
    secrets: [sk],
    sign(settlement, index) {
      const sighash = custody.sighash(settlement.unsignedTx, index, settlement.prevouts);
      custody.addSignatures(settlement.psbt, index, [
        { publicKey: custody.signingKeys[0] as Uint8Array, signature: schnorr.sign(sighash, sk) },
      ]);
    },
  };
}

export function p2wshCustody(threshold = 2, n = 3): TestCustody {
  const secrets = Array.from({ length: n }, (_, i) => secretKey(10 + i));
  const publicKeys = secrets.map((s) => secp256k1.getPublicKey(s, true));
  const custody = p2wshSortedMulti({ threshold, publicKeys });
  return {
    custody,
    secrets,
    sign(settlement, index, who) {
      const sk = secrets[who] as Uint8Array;
      const sighash = custody.sighash(settlement.unsignedTx, index, settlement.prevouts);
      const sig = signP2wshPartial({ secretKey: sk, sighash, sighashType: SIGHASH_ALL });
      custody.addSignatures(settlement.psbt, index, [
        { publicKey: secp256k1.getPublicKey(sk, true), signature: fromHex(sig) },
      ]);
    },
  };
}

export function tapscriptCustody(threshold = 2, n = 3): TestCustody {
  const secrets = Array.from({ length: n }, (_, i) => secretKey(20 + i));
  const publicKeys = secrets.map((s) => secp256k1.getPublicKey(s, true));
  const custody = tapscriptMultiA({ threshold, publicKeys });
  return {
    custody,
    secrets,
    sign(settlement, index, who) {
      const sk = secrets[who] as Uint8Array;
      const sighash = custody.sighash(settlement.unsignedTx, index, settlement.prevouts);
      const sig = signTapscriptPartial({ secretKey: sk, sighash });
      custody.addSignatures(settlement.psbt, index, [
        { publicKey: schnorr.getPublicKey(sk), signature: fromHex(sig) },
      ]);
    },
  };
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function chainOutput(
  custody: CustodyType,
  seed: number,
  valueSats: bigint,
  vout = 0,
): ChainOutput {
  return {
    txid: toHex(Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff)),
    vout,
    valueSats,
    scriptPubKey: toHex(custody.scriptPubKey),
    confirmations: 1,
  };
}

/** A P2WPKH script for withdrawal `i` (distinct per i). */
export function p2wpkhScript(i: number): string {
  const hash = Uint8Array.from({ length: 20 }, (_, j) => (i * 13 + j) & 0xff);
  return `0x${toHex(payments.p2wpkh({ hash }).output as Uint8Array)}`;
}

export function queue(count: number, first = 0n, amountSats = 10_000n): BridgeWithdrawal[] {
  return Array.from({ length: count }, (_, i) => ({
    index: `0x${(first + BigInt(i)).toString(16)}`,
    scriptPubKey: p2wpkhScript(i),
    amountSats: `0x${amountSats.toString(16)}`,
  }));
}

export function policyFor(
  custody: CustodyType,
  over: Partial<SettlementPolicy> = {},
): SettlementPolicy {
  return {
    network,
    custody,
    maxWithdrawals: 100,
    maxFeeRateSatPerVb: 50,
    maxFeeSats: 1_000_000n,
    fallbackFeeRateSatPerVb: 10,
    minFeeRateSatPerVb: 1,
    ...over,
  };
}

export const head = {
  chainId: 4242n,
  batchNumber: 7n,
  stateRoot: `0x${'ab'.repeat(32)}`,
  firstWithdrawalIndex: 0n,
};
