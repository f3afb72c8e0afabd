import { afterEach, describe, expect, it } from 'vitest';
import { NoncePool } from '../../../src/api/signer/nonce-pool.ts';
import type { FrostKeyRecord } from '../../../src/api/signer/vault.ts';
import { openJson } from '../../../src/custody/at-rest.ts';
import { runAggregate } from '../../../src/custody/frost/aggregate.ts';
import { runSign } from '../../../src/custody/frost/sign.ts';
import type { WireNonces } from '../../../src/custody/frost/wire.ts';
import { runFullDkg } from '../../custody/helpers.ts';

const dkg = runFullDkg(2, 3);
const keys: FrostKeyRecord[] = dkg.results.map((r) => ({
  keyId: 'pool-key',
  groupKey: r.groupKey,
  share: r.share,
  outputKey: r.outputKey,
}));
const kek = crypto.getRandomValues(new Uint8Array(32));
const pools: NoncePool[] = [];

function pool(opts: { perKey?: number; quietMs?: number } = {}) {
  const p = new NoncePool({ kek, quietMs: 1, ...opts });
  pools.push(p);
  return p;
}

async function until(check: () => boolean, timeoutMs = 5_000) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

describe('NoncePool', () => {
  it('refills to its size once quiet, and hands out the pooled nonces first', async () => {
    const p = pool({ perKey: 4 });
    const first = p.take(keys[0]!, 1); // nothing pooled yet: drawn on demand
    expect(first).toHaveLength(1);
    p.requestStarted();
    p.requestEnded(); // idle: refills after the quiet time
    await until(() => p.readyCount('pool-key') === 4);
    const taken = p.take(keys[0]!, 3);
    expect(taken).toHaveLength(3);
    expect(p.readyCount('pool-key')).toBe(1);
  });

  it('never hands out one nonce twice (reuse would leak the key share), across refills', async () => {
    const p = pool({ perKey: 5 });
    const seen = new Set<string>();
    const commitments = new Set<string>();
    for (let round = 0; round < 12; round++) {
      for (const n of p.take(keys[0]!, 1 + (round % 3))) {
        expect(seen.has(n.id)).toBe(false);
        seen.add(n.id);
        commitments.add(n.commitment.hiding + n.commitment.binding);
      }
      if (round % 2 === 0) p.refillSoon();
      else {
        p.requestStarted();
        p.requestEnded();
      }
      await until(() => p.readyCount('pool-key') === 5);
    }
    expect(commitments.size).toBe(seen.size);
  });

  it('pooled nonces are sealed under their id and make valid signature shares', async () => {
    const pools2 = [pool({ perKey: 2 }), pool({ perKey: 2 })];
    pools2.forEach((p, i) => {
      p.take(keys[i]!, 1);
      p.refillSoon();
    });
    await until(() => pools2.every((p) => p.readyCount('pool-key') === 2));
    const drawn = pools2.map((p, i) => p.take(keys[i]!, 1)[0]!);
    const commitments = drawn.map((d) => d.commitment);
    const message = crypto.getRandomValues(new Uint8Array(32));
    const shares = drawn.map(
      (d, i) =>
        runSign({
          groupKey: keys[i]!.groupKey,
          share: keys[i]!.share,
          nonces: openJson<WireNonces>(kek, `nonce:${d.id}`, d.sealedNonces),
          commitments,
          message,
        }).signatureShare,
    );
    const { signature } = runAggregate({
      groupKey: keys[0]!.groupKey,
      commitments,
      message,
      shares,
    });
    expect(signature).toMatch(/^0x[0-9a-f]{128}$/);
    // Bound to its id: a sealed nonce moved under another id does not open.
    expect(() => openJson(kek, `nonce:${drawn[1]!.id}`, drawn[0]!.sealedNonces)).toThrow();
  });

  it('does not refill while a request is in flight (a refill would delay it), then does', async () => {
    const p = pool({ perKey: 4 });
    p.take(keys[0]!, 1);
    p.requestStarted();
    p.requestStarted();
    p.refillSoon(); // a share released inside one of them
    p.requestEnded();
    await new Promise((r) => setTimeout(r, 100));
    expect(p.readyCount('pool-key')).toBe(0);
    p.requestEnded();
    await until(() => p.readyCount('pool-key') === 4);
  });

  it('a request arriving mid-refill stops it after the current draw', async () => {
    const p = pool({ perKey: 500 });
    p.take(keys[0]!, 1);
    p.refillSoon();
    await until(() => p.readyCount('pool-key') >= 2);
    p.requestStarted();
    const stoppedAt = p.readyCount('pool-key');
    await new Promise((r) => setTimeout(r, 100));
    expect(p.readyCount('pool-key')).toBe(stoppedAt);
    expect(stoppedAt).toBeLessThan(500);
  });

  it('a reloaded key record starts a fresh pool', async () => {
    const p = pool({ perKey: 3 });
    p.take(keys[0]!, 1);
    p.refillSoon();
    await until(() => p.readyCount('pool-key') === 3);
    p.take({ ...keys[0]! }, 1);
    expect(p.readyCount('pool-key')).toBe(0);
  });

  it('close drops every pooled nonce and no refill runs after it', async () => {
    const p = pool({ perKey: 3 });
    p.take(keys[0]!, 1);
    p.refillSoon();
    await until(() => p.readyCount('pool-key') === 3);
    p.take(keys[0]!, 1);
    p.refillSoon(); // a refill is pending when the signer closes
    p.close();
    expect(p.readyCount('pool-key')).toBe(0);
    p.refillSoon();
    p.requestStarted();
    p.requestEnded();
    await new Promise((r) => setTimeout(r, 100));
    expect(p.readyCount('pool-key')).toBe(0);
  });

  it('a failing background draw drops that key and reports it without the secret', async () => {
    const reports: [string, unknown][] = [];
    const p = new NoncePool({ kek, quietMs: 1, onRefillError: (k, e) => reports.push([k, e]) });
    pools.push(p);
    const broken: FrostKeyRecord = {
      ...keys[0]!,
      keyId: 'broken-key',
      share: { ...keys[0]!.share, signingShare: '0x00' },
    };
    expect(() => p.take(broken, 1)).toThrow();
    p.refillSoon();
    await until(() => reports.length > 0);
    expect(reports[0]![0]).toBe('broken-key');
    expect(p.readyCount('broken-key')).toBe(0);
  });
});
