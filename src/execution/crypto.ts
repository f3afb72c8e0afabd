/**
 * Hashing and signature recovery for the VM. The native `keccak` and `secp256k1` bindings
 * (prebuilt N-API binaries) are about ten times faster than the JavaScript ones for sender
 * recovery; when they cannot be loaded (another platform, a stripped install) we keep the
 * @noble implementations ethereumjs uses by default, so results never depend on which one ran.
 */
import { createRequire } from 'node:module';
import { Common, type CustomCrypto, Hardfork, Mainnet } from '@ethereumjs/common';
import { ecrecover as jsEcrecover } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';

type NativeKeccak = (algorithm: 'keccak256') => {
  update(data: Buffer): { digest(): Buffer };
};
interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
}

export interface CryptoBackend {
  native: boolean;
  keccak256(msg: Uint8Array): Uint8Array;
  ecrecover: NonNullable<CustomCrypto['ecrecover']>;
}

function loadNative(): CryptoBackend | undefined {
  try {
    const require = createRequire(import.meta.url);
    // The `bindings` entry points, not the packages' index: those silently fall back to JS.
    const createKeccak = require('keccak/bindings') as NativeKeccak;
    const secp = require('secp256k1/bindings') as NativeSecp256k1;
    const keccak256 = (msg: Uint8Array): Uint8Array => {
      const input = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
      const out = createKeccak('keccak256').update(input).digest();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    };
    const ecrecover = (
      msgHash: Uint8Array,
      v: bigint,
      r: Uint8Array,
      s: Uint8Array,
      chainId?: bigint,
    ): Uint8Array => {
      const recovery = recoveryId(v, chainId);
      const sig = new Uint8Array(64);
      sig.set(leftPad32(r, 'r'), 0);
      sig.set(leftPad32(s, 's'), 32);
      // libsecp256k1 rejects r or s outside [1, n-1] like noble does; it accepts a high s,
      // as the ECRECOVER precompile must (EIP-2's low-s rule is checked by the tx layer).
      return secp.ecdsaRecover(sig, recovery, msgHash, false).slice(1);
    };
    // Self-check once: a binding that loads but computes garbage must not be used.
    const probe = new Uint8Array([1, 2, 3]);
    if (!bytesEqual(keccak256(probe), keccak_256(probe))) return undefined;
    return { native: true, keccak256, ecrecover };
  } catch {
    return undefined;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** ethereumjs's rule (util/signature.ts calculateSigRecovery), kept identical. */
function recoveryId(v: bigint, chainId?: bigint): number {
  if (v === 0n || v === 1n) return Number(v);
  const id = chainId === undefined ? v - 27n : v - (chainId * 2n + 35n);
  if (id !== 0n && id !== 1n) throw new Error('Invalid signature v value');
  return Number(id);
}

function leftPad32(bytes: Uint8Array, field: string): Uint8Array {
  if (bytes.length > 32) throw new Error(`signature ${field} longer than 32 bytes`);
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

const JS_BACKEND: CryptoBackend = { native: false, keccak256: keccak_256, ecrecover: jsEcrecover };
let nativeBackend: CryptoBackend | null | undefined;

/** The native backend when it loads, else the JavaScript one. */
export function fastCrypto(): CryptoBackend {
  if (nativeBackend === undefined) nativeBackend = loadNative() ?? null;
  return nativeBackend ?? JS_BACKEND;
}

export type ExecutionProfile = 'fast' | 'default';

/** A Cancun `Common` for the batch's chain id; `fast` plugs the native crypto in. */
export function makeCommon(chainId: bigint, profile: ExecutionProfile): Common {
  const opts: ConstructorParameters<typeof Common>[0] = {
    chain: { ...Mainnet, chainId: Number(chainId) },
    hardfork: Hardfork.Cancun,
  };
  if (profile === 'fast') {
    const backend = fastCrypto();
    opts.customCrypto = { keccak256: backend.keccak256, ecrecover: backend.ecrecover };
  }
  return new Common(opts);
}
