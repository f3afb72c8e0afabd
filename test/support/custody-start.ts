/**
 * The real `custody start` process, as a user runs it: spawned from the built command, its URL
 * read from the one human line it prints, stopped with a signal (or killed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CUSTODY_BIN, cleanEnv, ROOT } from './cli.ts';

export interface StartedProcess {
  url: string;
  child: ChildProcess;
  /** Everything it wrote to stderr so far (its JSON logs). */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no clean-up. */
  kill(): Promise<void>;
}

export async function startCustody(
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<StartedProcess> {
  const child = spawn(process.execPath, [CUSTODY_BIN, 'start'], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`custody start printed no URL in ${timeoutMs} ms: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /custody coordinator on (http:\/\/127\.0\.0\.1:\d+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`custody start exited with ${code}: ${err.slice(-2000)}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A JSON answer: every route's shape; each test checks the fields it reads. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type JsonAnswer = any;

/** A client of a running coordinator's REST API with one bearer key. */
export function restClient(url: string, token: string) {
  return async (
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: JsonAnswer }> => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  };
}

/** Polls `read` until `done` holds (or throws, with the last value read, after `timeoutMs`). */
export async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out; last: ${JSON.stringify(v).slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export { ROOT };
