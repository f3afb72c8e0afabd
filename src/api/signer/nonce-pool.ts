/**
 * Nonce pairs drawn ahead of need, so that round 1 of a signing session costs the signer one
 * database commit instead of a nonce draw (two constant-time base-point multiplications, about
 * 1 ms here) on the session's critical path.
 *
 * What waits in the pool is sealed (AES-256-GCM under the KEK, bound to its nonce id) and has
 * never been stored or shown to anyone. Taking a nonce changes nothing about invariant 2: the
 * caller stores it, with the request id, in the transaction that must commit before its
 * commitment leaves (frost-service.ts), exactly as for a nonce drawn on demand. The pool is not
 * durable and need not be: a crash loses only nonces nobody has seen.
 *
 * Refills run only while no request is in flight: one draw per turn of the event loop, stopped
 * as soon as a request begins, so a request that arrives during a refill waits for at most one
 * draw. They start as soon as the signer falls idle after releasing a signature share (the
 * coordinator is aggregating; this session needs nothing more from the signer), otherwise
 * after QUIET_MS of idleness. Under steady load the pool may run dry; round 1 then draws on
 * demand as before.
 */
import { sealJson } from '../../custody/at-rest.ts';
import { runCommit } from '../../custody/frost/commit.ts';
import type { WireNonceCommitment } from '../../custody/frost/wire.ts';
import { newId } from './context.ts';
import type { FrostKeyRecord } from './vault.ts';

export interface PooledNonce {
  id: string;
  commitment: WireNonceCommitment;
  sealedNonces: string;
}

export interface NoncePoolOpts {
  kek: Uint8Array;
  /** A background draw failed; the key's pool is dropped (told the key id and error only). */
  onRefillError?: (keyId: string, error: unknown) => void;
  /** Nonces kept ready per key. */
  perKey?: number;
  /** Keys kept ready (the most recently used). */
  maxKeys?: number;
  quietMs?: number;
}

const DEFAULT_POOL_PER_KEY = 16;
const DEFAULT_MAX_KEYS = 8;
const DEFAULT_QUIET_MS = 20;

/** Draws one nonce pair for `key` and seals it under the id it will be stored with. */
export function drawSealedNonce(kek: Uint8Array, key: FrostKeyRecord): PooledNonce {
  const id = newId('n');
  const { nonces, commitment } = runCommit({ share: key.share });
  return { id, commitment, sealedNonces: sealJson(kek, `nonce:${id}`, nonces) };
}

export class NoncePool {
  /** keyId → the key and its ready nonces; Map order is least recently used first. */
  private readonly keys = new Map<string, { key: FrostKeyRecord; ready: PooledNonce[] }>();
  private readonly perKey: number;
  private readonly maxKeys: number;
  private readonly quietMs: number;
  private timer: NodeJS.Timeout | undefined;
  private step: NodeJS.Immediate | undefined;
  private inFlight = 0;
  private refillWhenIdle = false;
  private closed = false;

  constructor(private readonly opts: NoncePoolOpts) {
    this.perKey = opts.perKey ?? DEFAULT_POOL_PER_KEY;
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
    this.quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
  }

  /**
   * `count` nonces for `key`, never handed out before: ready ones first, the rest drawn now.
   * Each is removed from the pool as it is taken, so no two callers can get the same one.
   */
  take(key: FrostKeyRecord, count: number): PooledNonce[] {
    const entry = this.entry(key);
    const taken = entry.ready.splice(0, count);
    while (taken.length < count) taken.push(drawSealedNonce(this.opts.kek, key));
    return taken;
  }

  /** A request began: refilling stops until no request is in flight. */
  requestStarted(): void {
    this.inFlight++;
    this.cancel();
  }

  /** A request ended: once none is in flight, refill (at once if a share was released). */
  requestEnded(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0 || this.closed) return;
    if (this.refillWhenIdle) {
      this.refillWhenIdle = false;
      this.scheduleStep();
    } else {
      this.cancel(); // one pending refill at most, as scheduleStep keeps it
      this.timer = setTimeout(() => this.refillStep(), this.quietMs);
      this.timer.unref();
    }
  }

  /** A share was released: the session's next step is the coordinator's, so refill when idle. */
  refillSoon(): void {
    if (this.closed) return;
    if (this.inFlight > 0) this.refillWhenIdle = true;
    else this.scheduleStep();
  }

  /** Ready nonces for a key (tests watch refills through it). */
  readyCount(keyId: string): number {
    return this.keys.get(keyId)?.ready.length ?? 0;
  }

  /** Stops refilling and drops every pooled nonce. */
  close(): void {
    this.closed = true;
    this.cancel();
    this.keys.clear();
  }

  private entry(key: FrostKeyRecord) {
    let entry = this.keys.get(key.keyId);
    if (entry && entry.key !== key) entry = undefined; // the key was reloaded: start afresh
    this.keys.delete(key.keyId);
    entry ??= { key, ready: [] };
    this.keys.set(key.keyId, entry);
    while (this.keys.size > this.maxKeys) {
      this.keys.delete(this.keys.keys().next().value as string);
    }
    return entry;
  }

  private refillStep(): void {
    this.timer = undefined;
    this.step = undefined;
    if (this.closed || this.inFlight > 0) return;
    const short = [...this.keys.values()].reverse().find((e) => e.ready.length < this.perKey);
    if (!short) return;
    try {
      short.ready.push(drawSealedNonce(this.opts.kek, short.key));
    } catch (error) {
      // Nothing is lost but speed: round 1 draws on demand, and reports the error itself.
      this.keys.delete(short.key.keyId);
      this.opts.onRefillError?.(short.key.keyId, error);
    }
    this.scheduleStep();
  }

  /** setImmediate: a request that arrived meanwhile is read (and stops the refill) first. */
  private scheduleStep(): void {
    this.cancel();
    this.step = setImmediate(() => this.refillStep());
    this.step.unref();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.step) clearImmediate(this.step);
    this.timer = undefined;
    this.step = undefined;
  }
}
