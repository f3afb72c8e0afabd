/**
 * A throw-away copy of the project's command (bin/, scripts/, src/, dist/, package files) in a
 * temporary directory, with a node_modules of symlinks to the installed packages, optionally
 * without esbuild: what `npm install --omit=dev` leaves. Lets the build and start-up tests
 * change dist/, the lock and the sources without touching the working tree.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/cli.ts';

export interface CopyOpts {
  /** leave esbuild (and its @esbuild/* binaries) out of node_modules */
  withoutEsbuild?: boolean;
  /** copy dist/ (built by the test set-up) */
  dist?: boolean;
}

export function projectCopy({ withoutEsbuild = false, dist = true }: CopyOpts = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-copy-'));
  for (const p of ['bin', 'scripts', 'src', 'package.json', 'package-lock.json']) {
    cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true, preserveTimestamps: true });
  }
  if (dist) {
    cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), {
      recursive: true,
      preserveTimestamps: true,
    });
    markFresh(dir);
  }
  const modules = realpathSync(path.join(ROOT, 'node_modules'));
  const target = path.join(dir, 'node_modules');
  mkdirSync(target);
  const hidden = (name: string) => withoutEsbuild && (name === 'esbuild' || name === '@esbuild');
  for (const name of readdirSync(modules)) {
    if (name === '.bin' || hidden(name)) continue;
    if (name.startsWith('@')) {
      mkdirSync(path.join(target, name));
      for (const sub of readdirSync(path.join(modules, name))) {
        symlinkSync(path.join(modules, name, sub), path.join(target, name, sub));
      }
    } else {
      symlinkSync(path.join(modules, name), path.join(target, name));
    }
  }
  return dir;
}

/** The copy's dist/ stamp dated after every input (copying moved directory times). */
export function markFresh(dir: string): void {
  const later = new Date(Date.now() + 60_000);
  utimesSync(path.join(dir, 'dist', '.built'), later, later);
}

/** A source file dated after the stamp: dist/ is stale. */
export function touchSource(dir: string, rel = 'src/cli.ts'): void {
  const later = new Date(Date.now() + 120_000);
  utimesSync(path.join(dir, rel), later, later);
}

export function hasEsbuild(dir: string): boolean {
  return existsSync(path.join(dir, 'node_modules', 'esbuild'));
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runIn(dir: string, args: string[], timeout = 60_000): Ran {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}
