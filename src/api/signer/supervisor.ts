/**
 * Starting signer processes from another process (`custody start`, the benchmark): each signer
 * is `custody signer --config FILE` in its own child process; the parent learns its ephemeral
 * loopback address and identity key from the one JSON line it prints, and stops it with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { identifierForIdentityKey } from '../../custody/frost/ceremony.ts';
import type { IdentityKey } from '../../custody/identity.ts';
import { projectRoot } from '../../shared/project-root.ts';
import { SignerClient } from './client.ts';

export interface LaunchSignerOpts {
  configFile: string;
  /** Environment of the child: SIGNER_KEK_FILE at least. */
  env: NodeJS.ProcessEnv;
  /** The coordinator identity that signs requests to this signer. */
  coordinator: IdentityKey;
  startTimeoutMs?: number;
  /** The child's stderr (its logs): inherited by default; 'capture' keeps it for start-up errors. */
  stderr?: 'inherit' | 'capture';
  /** The child stops when this process dies, even by SIGKILL (its stdin closes). */
  exitWithParent?: boolean;
  /** Node arguments before `signer --config …`; `bin/custody.js` by default. */
  entry?: readonly string[];
}

export interface LaunchedSigner {
  name: string;
  url: string;
  identityKey: string;
  identifier: string;
  client: SignerClient;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function launchSigner(opts: LaunchSignerOpts): Promise<LaunchedSigner> {
  const root = projectRoot();
  const child = spawn(
    process.execPath,
    [
      ...(opts.entry ?? [path.join(root, 'bin', 'custody.js')]),
      'signer',
      '--config',
      opts.configFile,
      ...(opts.exitWithParent ? ['--exit-with-parent'] : []),
    ],
    {
      cwd: root,
      env: opts.env,
      stdio: [
        opts.exitWithParent ? 'pipe' : 'ignore',
        'pipe',
        opts.stderr === 'capture' ? 'pipe' : 'inherit',
      ],
    },
  );
  let logs = '';
  child.stderr?.on('data', (d) => {
    if (logs.length < 20_000) logs += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`signer ${opts.configFile} did not start in time`));
    }, opts.startTimeoutMs ?? 30_000);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const end = out.indexOf('\n');
      if (end === -1) return;
      clearTimeout(timer);
      const info = JSON.parse(out.slice(0, end)) as {
        name: string;
        url: string;
        identityKey: string;
      };
      const client = new SignerClient({
        url: info.url,
        identityKey: info.identityKey,
        coordinator: opts.coordinator,
      });
      resolve({
        ...info,
        identifier: identifierForIdentityKey(info.identityKey),
        client,
        child,
        exited,
        stop: async () => {
          client.close();
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `signer ${opts.configFile} exited (code ${code}) before listening ${logs}`.trim(),
        ),
      );
    });
  });
}
