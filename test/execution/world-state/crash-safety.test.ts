/**
 * A real process commits batch after batch and is killed (SIGKILL) at random moments around
 * a commit. Reopening must find the head either at the last commit the child reported or at
 * the one it was writing, and that state must be complete: every account and slot readable
 * with the values of exactly that height.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigIntToBytes, bytesToHex, setLengthLeft } from '@ethereumjs/util';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorldState } from '../../../src/execution/world-state/world-state.ts';
import { accountAddress } from './crash-child.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ACCOUNTS = 1500;
const ROUNDS = 8;

interface ChildLog {
  begun: number;
  done: Map<number, string>;
}

function randomInt(below: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % below;
}

/** Starts the child and kills it `delayMs` after it announces commit number `killAtBegin`. */
function runAndKill(dir: string, killAtBegin: number, delayMs: number): Promise<ChildLog> {
  const log: ChildLog = { begun: 0, done: new Map() };
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, String(ACCOUNTS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buffered = '';
  let begins = 0;
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, height, root] = line.split(' ');
        if (kind === 'begin') {
          log.begun = Number(height);
          if (++begins === killAtBegin) setTimeout(() => child.kill('SIGKILL'), delayMs);
        } else if (kind === 'done') {
          log.done.set(Number(height), root!);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(log);
      else reject(new Error(`crash child exited on its own (${_code}, ${signal})`));
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('a process killed around a commit leaves the previous or the new head, complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'world-state-crash-'));
    dirs.push(dir);
    let lastHeight = 0;
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const log = await runAndKill(dir, 1 + randomInt(2), randomInt(120));
      const ws = await openWorldState(dir);
      try {
        const head = ws.head();
        const lastDone = Math.max(lastHeight, ...log.done.keys());
        // never behind a commit that was reported durable, never past the one being written
        expect(head.height).toBeGreaterThanOrEqual(lastDone);
        expect(head.height).toBeLessThanOrEqual(Math.max(log.begun, lastHeight));
        if (log.done.has(head.height)) expect(head.root).toBe(log.done.get(head.height));
        const when = log.done.has(log.begun) ? 'after-commit' : 'mid-commit';
        outcomes.push(`${when}:${head.height === log.begun ? 'new' : 'old'}`);
        await expectCompleteState(ws.stateManagerAt(), head.height);
        lastHeight = head.height;
      } finally {
        await ws.close();
      }
    }
    process.stderr.write(`crash rounds (head after kill): ${outcomes.join(', ')}\n`);
  }, 240_000);
});

async function expectCompleteState(
  sm: ReturnType<Awaited<ReturnType<typeof openWorldState>>['stateManagerAt']>,
  height: number,
): Promise<void> {
  const slot = setLengthLeft(Uint8Array.of(1), 32);
  for (let i = 0; i < ACCOUNTS; i++) {
    const address = accountAddress(i);
    const account = await sm.getAccount(address);
    if (height === 0) {
      expect(account).toBeUndefined();
      continue;
    }
    expect(account?.balance).toBe(BigInt(height) * 1_000_000n + BigInt(i));
    expect(bytesToHex(await sm.getStorage(address, slot))).toBe(
      bytesToHex(bigIntToBytes(BigInt(height))),
    );
  }
}
