/**
 * Lockfile drift that matters: did installing change what gets installed?
 *
 *   npx tsx scripts/lockfile-drift.ts COMMITTED_LOCK CURRENT_LOCK
 *
 * exits 0 when every package this machine installs has the same name, version and integrity
 * in both lockfiles (and the root's dependency ranges agree), else prints each difference on
 * stderr and exits 1.
 *
 * Why not compare bytes: npm records an optional platform package (`@biomejs/cli-win32-x64`,
 * `@msgpackr-extract/*`) only when the registry serves it that day, so a byte comparison fails
 * or passes with the registry's mood. Such an entry cannot be installed on this machine
 * anyway; one that can (or any non-optional one) appearing, vanishing or changing is drift.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  resolved?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface Lockfile {
  lockfileVersion?: number;
  packages: Record<string, LockEntry>;
}

export interface Platform {
  os: string;
  cpu: string;
  /** 'glibc' or 'musl' on Linux, undefined elsewhere */
  libc: string | undefined;
}

export function currentPlatform(): Platform {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  const libc =
    process.platform !== 'linux'
      ? undefined
      : report?.header?.glibcVersionRuntime !== undefined
        ? 'glibc'
        : 'musl';
  return { os: process.platform, cpu: process.arch, libc };
}

/** npm's rule for `os`/`cpu`/`libc`: a list of allowed values, `!x` excludes x. */
function allows(list: string[] | undefined, value: string | undefined): boolean {
  if (list === undefined || list.length === 0) return true;
  if (value === undefined) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((v) => !v.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

/** Whether npm would install this entry here (an optional package for another platform: no). */
export function installsHere(entry: LockEntry, platform: Platform): boolean {
  if (entry.optional !== true) return true;
  return (
    allows(entry.os, platform.os) &&
    allows(entry.cpu, platform.cpu) &&
    allows(entry.libc, platform.libc)
  );
}

function identity(path: string, entry: LockEntry): string {
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `${name}@${entry.version ?? '?'} ${entry.integrity ?? entry.resolved ?? ''}`.trim();
}

function sameRanges(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/** Every difference between the two lockfiles that changes what is installed on `platform`. */
export function lockfileDrift(
  committed: Lockfile,
  current: Lockfile,
  platform: Platform,
): string[] {
  const problems: string[] = [];
  const root = [committed.packages[''] ?? {}, current.packages[''] ?? {}] as const;
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
    if (!sameRanges(root[0][field], root[1][field])) {
      problems.push(`the root's ${field} differ between package.json and the lockfile`);
    }
  }
  const paths = new Set([...Object.keys(committed.packages), ...Object.keys(current.packages)]);
  paths.delete('');
  for (const path of [...paths].sort()) {
    const before = committed.packages[path];
    const after = current.packages[path];
    if (before !== undefined && after !== undefined) {
      if (identity(path, before) !== identity(path, after)) {
        problems.push(`${path}: ${identity(path, before)} became ${identity(path, after)}`);
      }
    } else if (before !== undefined && installsHere(before, platform)) {
      problems.push(`${path}: ${identity(path, before)} was removed`);
    } else if (after !== undefined && installsHere(after, platform)) {
      problems.push(`${path}: ${identity(path, after)} was added`);
    }
  }
  return problems;
}

/**
 * Optional dependencies the lockfile names but has no entry for. `npm ci` refuses such a
 * lockfile ("Missing: … from lock file"), so the committed one must list them all.
 */
export function missingOptionalEntries(lock: Lockfile): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      const nested = path === '' ? `node_modules/${dep}` : `${path}/node_modules/${dep}`;
      if (lock.packages[nested] === undefined && lock.packages[`node_modules/${dep}`] === undefined)
        missing.push(`${dep} (optional dependency of ${path || 'the root'})`);
    }
  }
  return missing;
}

function readLock(file: string): Lockfile {
  return JSON.parse(readFileSync(file, 'utf8')) as Lockfile;
}

function main(argv: string[]): number {
  const [committedFile, currentFile] = argv;
  if (committedFile === undefined || currentFile === undefined) {
    process.stderr.write('usage: lockfile-drift COMMITTED_LOCK CURRENT_LOCK\n');
    return 2;
  }
  const committed = readLock(committedFile);
  const problems = [
    ...missingOptionalEntries(committed).map((m) => `the committed lockfile lacks ${m}`),
    ...lockfileDrift(committed, readLock(currentFile), currentPlatform()),
  ];
  for (const p of problems) process.stderr.write(`lockfile drift: ${p}\n`);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.filename === path.resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
