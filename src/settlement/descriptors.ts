/**
 * Output descriptors (BIP380, with checksum) for each custody type, so a watch-only wallet can
 * follow the custody address, and the address and scriptPubKey each one derives, built with
 * bitcoinjs-lib payments (no script bytes assembled by hand).
 *
 *   frost               rawtr(Q)                          Q = the FROST group key
 *   frost, internal P   tr(P)                             when the untweaked key is known
 *   multisig-p2wsh      wsh(sortedmulti(m,K1,...,Kn))     compressed keys, BIP67 order
 *   multisig-tapscript  tr(NUMS,multi_a(m,X1,...,Xn))     x-only keys, sorted, one leaf
 *
 * Why FROST is `rawtr(Q)` and not `tr(Q)`: our FROST group key IS the Taproot output key. The
 * DKG (noble's schnorr_FROST, src/custody/frost/keygen-dkg.ts) applies the BIP86 TapTweak to
 * its result, and the dealer import (keygen-dealer.ts) tweaks the secret before splitting
 * (src/custody/taproot.ts tapTweakSecretKey), so the scriptPubKey is OP_1 <Q>. `tr(KEY)`
 * treats KEY as the INTERNAL key and tweaks it again (BIP386: output = KEY +
 * hash_TapTweak(KEY)·G), which describes a different address that nobody can spend from.
 * The untweaked internal key P is not kept anywhere after a DKG (noble returns only the tweaked
 * package), so `tr(P)` is available only when the caller knows P (a dealer import of a key
 * whose public key was recorded). `rawtr(Q)` describes exactly OP_1 <Q>: Bitcoin Core knows
 * it since 24.0; Litecoin Core 0.21 knows neither tr() nor rawtr(), and for it `addr(ADDRESS)`
 * (also returned) is the watch-only form.
 */
import { opcodes, type Payment, payments, script } from 'bitcoinjs-lib';
import { descriptorChecksum, withChecksum } from '../shared/descriptor-checksum.ts';
import { InvalidInputError } from '../shared/errors.ts';
import type { NetworkName } from '../shared/networks.ts';
// ecc.ts initialises bitcoinjs-lib's ECC library, which Taproot payments need.
import { compareBytes, hex } from './custody-types/keys.ts';
import { ecc } from './ecc.ts';
import { settlementNetwork } from './networks.ts';

/** BIP341's unspendable internal key H: lift_x(sha256(G uncompressed)); no known discrete log. */
export const NUMS_INTERNAL_KEY = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';

export type CustodySpec =
  /** `outputKey`: the FROST group key, x-only (the Taproot output key itself). */
  | { scheme: 'frost'; outputKey: string }
  /** The BIP86 internal key, when known; the output key is its tweak. */
  | { scheme: 'frost'; internalKey: string }
  /** Compressed keys, any order (sortedmulti sorts them). */
  | { scheme: 'multisig-p2wsh'; threshold: number; publicKeys: string[] }
  /** Compressed or x-only keys, any order (sorted x-only in the script). */
  | {
      scheme: 'multisig-tapscript';
      threshold: number;
      publicKeys: string[];
      /** Default NUMS_INTERNAL_KEY (no key path). */
      internalKey?: string;
    };

export interface DerivedOutput {
  /** The descriptor with its BIP380 checksum. */
  descriptor: string;
  /** `addr(ADDRESS)#checksum`: what nodes without tr()/rawtr() (Litecoin Core 0.21) accept. */
  addrDescriptor: string;
  address: string;
  /** Hex, no 0x. */
  scriptPubKey: string;
  /** P2WSH: the witness script (m <K...> n OP_CHECKMULTISIG). */
  witnessScript?: string;
  /** Tapscript: the multi_a leaf, its control block and the internal key. */
  leafScript?: string;
  controlBlock?: string;
  internalKey?: string;
}

function parseKeyHex(value: unknown, field: string, lengths: readonly number[]): Uint8Array {
  const hex = typeof value === 'string' && value.startsWith('0x') ? value.slice(2) : value;
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]*$/.test(hex) || !lengths.includes(hex.length / 2)) {
    throw new InvalidInputError(`${field}: expected ${lengths.join(' or ')} bytes of hex`, {
      field,
    });
  }
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  const valid = bytes.length === 32 ? ecc.isXOnlyPoint(bytes) : ecc.isPoint(bytes);
  if (!valid || (bytes.length === 33 && bytes[0] !== 2 && bytes[0] !== 3)) {
    throw new InvalidInputError(`${field}: not a point on secp256k1`, { field });
  }
  return bytes;
}

function checkThreshold(threshold: number, n: number, maxKeys: number, field: string): void {
  if (n < 1 || n > maxKeys) {
    throw new InvalidInputError(`${field}: expected 1 to ${maxKeys} keys`, { field });
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > n) {
    throw new InvalidInputError(`threshold: expected an integer from 1 to ${n}`, {
      field: 'threshold',
    });
  }
}

function refuseDuplicates(keys: Uint8Array[], field: string): void {
  for (let i = 1; i < keys.length; i++) {
    if (compareBytes(keys[i - 1]!, keys[i]!) === 0) {
      throw new InvalidInputError(`${field}: the same key appears twice`, { field });
    }
  }
}

/** P2WSH multisig keys: compressed, BIP67 order (lexicographic on the 33 bytes). */
function sortedCompressedKeys(publicKeys: string[], threshold: number): Uint8Array[] {
  const keys = publicKeys.map((k, i) => parseKeyHex(k, `publicKeys[${i}]`, [33]));
  checkThreshold(threshold, keys.length, 16, 'publicKeys');
  keys.sort(compareBytes);
  refuseDuplicates(keys, 'publicKeys');
  return keys;
}

/** Tapscript keys: x-only (a compressed key loses its parity byte, BIP386), sorted. */
function sortedXOnlyKeys(publicKeys: string[], threshold: number): Uint8Array[] {
  const keys = publicKeys.map((k, i) => {
    const b = parseKeyHex(k, `publicKeys[${i}]`, [32, 33]);
    return b.length === 33 ? b.subarray(1) : b;
  });
  checkThreshold(threshold, keys.length, 999, 'publicKeys');
  keys.sort(compareBytes);
  refuseDuplicates(keys, 'publicKeys');
  return keys;
}

/**
 * The multi_a leaf (BIP387): <X1> OP_CHECKSIG <X2> OP_CHECKSIGADD ... <Xn> OP_CHECKSIGADD
 * <m> OP_NUMEQUAL, with m as OP_m up to 16 and a minimal number push above (script.compile
 * turns a one-byte 1..16 push into OP_1..OP_16).
 */
export function multiALeafScript(threshold: number, xOnlyKeys: Uint8Array[]): Uint8Array {
  return script.compile([
    ...xOnlyKeys.flatMap((k, i) => [k, i === 0 ? opcodes.OP_CHECKSIG : opcodes.OP_CHECKSIGADD]),
    script.number.encode(threshold),
    opcodes.OP_NUMEQUAL,
  ]);
}

/** The descriptor of a custody output, with its BIP380 checksum. */
export function custodyDescriptor(spec: CustodySpec): string {
  switch (spec.scheme) {
    case 'frost':
      if ('internalKey' in spec) {
        return withChecksum(`tr(${hex(parseKeyHex(spec.internalKey, 'internalKey', [32]))})`);
      }
      return withChecksum(`rawtr(${hex(parseKeyHex(spec.outputKey, 'outputKey', [32]))})`);
    case 'multisig-p2wsh': {
      const keys = sortedCompressedKeys(spec.publicKeys, spec.threshold);
      return withChecksum(`wsh(sortedmulti(${spec.threshold},${keys.map(hex).join(',')}))`);
    }
    case 'multisig-tapscript': {
      const keys = sortedXOnlyKeys(spec.publicKeys, spec.threshold);
      const internal = hex(parseKeyHex(spec.internalKey ?? NUMS_INTERNAL_KEY, 'internalKey', [32]));
      return withChecksum(`tr(${internal},multi_a(${spec.threshold},${keys.map(hex).join(',')}))`);
    }
    default:
      throw new InvalidInputError('scheme: unknown custody scheme', { field: 'scheme' });
  }
}

/** The address and scriptPubKey a custody descriptor derives on `network`, via bitcoinjs. */
export function deriveCustodyOutput(spec: CustodySpec, network: NetworkName): DerivedOutput {
  const net = settlementNetwork(network).bitcoinjs;
  const descriptor = custodyDescriptor(spec);
  let payment: Payment;
  const extra: Partial<DerivedOutput> = {};
  switch (spec.scheme) {
    case 'frost':
      payment =
        'internalKey' in spec
          ? payments.p2tr({
              internalPubkey: parseKeyHex(spec.internalKey, 'internalKey', [32]),
              network: net,
            })
          : payments.p2tr({ pubkey: parseKeyHex(spec.outputKey, 'outputKey', [32]), network: net });
      break;
    case 'multisig-p2wsh': {
      const pubkeys = sortedCompressedKeys(spec.publicKeys, spec.threshold);
      payment = payments.p2wsh({
        redeem: payments.p2ms({ m: spec.threshold, pubkeys, network: net }),
        network: net,
      });
      extra.witnessScript = hex(payment.redeem!.output!);
      break;
    }
    case 'multisig-tapscript': {
      const keys = sortedXOnlyKeys(spec.publicKeys, spec.threshold);
      const internalPubkey = parseKeyHex(
        spec.internalKey ?? NUMS_INTERNAL_KEY,
        'internalKey',
        [32],
      );
      const leaf = multiALeafScript(spec.threshold, keys);
      payment = payments.p2tr({
        internalPubkey,
        scriptTree: { output: leaf },
        redeem: { output: leaf },
        network: net,
      });
      const witness = payment.witness!;
      extra.leafScript = hex(leaf);
      extra.controlBlock = hex(witness[witness.length - 1]!);
      extra.internalKey = hex(internalPubkey);
      break;
    }
    default:
      throw new InvalidInputError('scheme: unknown custody scheme', { field: 'scheme' });
  }
  const address = payment.address!;
  return {
    descriptor,
    addrDescriptor: withChecksum(`addr(${address})`),
    address,
    scriptPubKey: hex(payment.output!),
    ...extra,
  };
}

/**
 * BIP380 `descsum_check`: true when `s` is `SCRIPT#CHECKSUM` with the right 8-character
 * checksum. A descriptor without one, with a short, long or wrong one, or with a character
 * outside the descriptor character set, is false.
 */
export function hasValidChecksum(s: string): boolean {
  const at = s.lastIndexOf('#');
  if (at === -1 || s.length - at - 1 !== 8) return false;
  try {
    return descriptorChecksum(s.slice(0, at)) === s.slice(at + 1);
  } catch {
    return false;
  }
}
