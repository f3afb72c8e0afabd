/**
 * m-of-n multi-sig: every signer generates its own key and only its public key leaves the
 * signer. The coordinator assembles the set into a P2WSH `sortedmulti` script (BIP67 order) or a
 * tapscript `multi_a` leaf under BIP341's unspendable NUMS internal key, so the output can only
 * be spent through the script path with m signatures.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { withChecksum } from '../../shared/descriptor-checksum.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { parseIdentityKey } from '../identity.ts';
import { tapTweakPublicKey } from '../taproot.ts';
import { hexToBytes, toHex } from '../wire-check.ts';
import { compactSize, OP, pushData, pushNumber } from './script.ts';

/** BIP341: "H = lift_x(0x50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)",
 *  the NUMS point with no known discrete logarithm: the key path is unspendable. */
export const NUMS_INTERNAL_KEY =
  '0x50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';
export const TAPSCRIPT_LEAF_VERSION = 0xc0;

export interface MultisigSignerKey {
  secretKey: Uint8Array;
  /** 0x-hex compressed public key. */
  publicKey: string;
}

export function generateMultisigKey(): MultisigSignerKey {
  const secretKey = secp256k1.utils.randomSecretKey();
  return { secretKey, publicKey: toHex(secp256k1.getPublicKey(secretKey, true)) };
}

export interface P2wshMultisig {
  threshold: number;
  /** BIP67 order: lexicographic on the compressed keys. */
  publicKeys: string[];
  witnessScript: string;
  scriptPubKey: string;
  descriptor: string;
}

export interface TapscriptMultisig {
  threshold: number;
  /** x-only keys, sorted, in script order. */
  publicKeys: string[];
  leafScript: string;
  leafHash: string;
  internalKey: string;
  outputKey: string;
  /** Script-path control block: (leaf version | parity of Q) || internal key. */
  controlBlock: string;
  scriptPubKey: string;
  descriptor: string;
}

export function buildP2wshSortedMulti(threshold: number, publicKeys: string[]): P2wshMultisig {
  const keys = checkKeySet(threshold, publicKeys, 16).sort();
  const script = [
    ...pushNumber(threshold),
    ...keys.flatMap((k) => pushData(hexToBytes(k))),
    ...pushNumber(keys.length),
    OP.CHECKMULTISIG,
  ];
  const witnessScript = Uint8Array.from(script);
  const descriptor = withChecksum(
    `wsh(sortedmulti(${threshold},${keys.map((k) => k.slice(2)).join(',')}))`,
  );
  return {
    threshold,
    publicKeys: keys,
    witnessScript: toHex(witnessScript),
    scriptPubKey: toHex(Uint8Array.from([0x00, 0x20, ...sha256(witnessScript)])),
    descriptor,
  };
}

export function buildTapscriptMultiA(threshold: number, publicKeys: string[]): TapscriptMultisig {
  const keys = checkKeySet(threshold, publicKeys, 999)
    .map((k) => `0x${k.slice(4)}`)
    .sort();
  if (new Set(keys).size !== keys.length) {
    throw new InvalidInputError('publicKeys: two keys share an x coordinate', {
      field: 'publicKeys',
    });
  }
  // multi_a(k, key_1, ..., key_n) := <key_1> OP_CHECKSIG <key_2> OP_CHECKSIGADD ... <k> OP_NUMEQUAL
  const script = Uint8Array.from([
    ...keys.flatMap((k, i) => [...pushData(hexToBytes(k)), i === 0 ? OP.CHECKSIG : OP.CHECKSIGADD]),
    ...pushNumber(threshold),
    OP.NUMEQUAL,
  ]);
  const leafHash = schnorr.utils.taggedHash(
    'TapLeaf',
    Uint8Array.from([TAPSCRIPT_LEAF_VERSION, ...compactSize(script.length), ...script]),
  );
  // One leaf: the merkle root is the leaf hash.
  const { outputKey, parity } = tapTweakPublicKey(hexToBytes(NUMS_INTERNAL_KEY), leafHash);
  const descriptor = withChecksum(
    `tr(${NUMS_INTERNAL_KEY.slice(2)},multi_a(${threshold},${keys.map((k) => k.slice(2)).join(',')}))`,
  );
  return {
    threshold,
    publicKeys: keys,
    leafScript: toHex(script),
    leafHash: toHex(leafHash),
    internalKey: NUMS_INTERNAL_KEY,
    outputKey: toHex(outputKey),
    controlBlock: toHex(
      Uint8Array.from([TAPSCRIPT_LEAF_VERSION | parity, ...hexToBytes(NUMS_INTERNAL_KEY)]),
    ),
    scriptPubKey: toHex(Uint8Array.from([0x51, 0x20, ...outputKey])),
    descriptor,
  };
}

function checkKeySet(threshold: number, publicKeys: string[], maxKeys: number): string[] {
  const keys = publicKeys.map((k, i) => parseIdentityKey(k, `publicKeys[${i}]`));
  if (keys.length < 1 || keys.length > maxKeys) {
    throw new InvalidInputError(`publicKeys: expected 1 to ${maxKeys} keys`, {
      field: 'publicKeys',
    });
  }
  if (new Set(keys).size !== keys.length) {
    throw new InvalidInputError('publicKeys: duplicate key', { field: 'publicKeys' });
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new InvalidInputError(`threshold: expected 1 to ${keys.length}`, { field: 'threshold' });
  }
  return keys;
}
