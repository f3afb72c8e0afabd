/**
 * Builds dist/: the `custody` command (dist/cli.js) and the executor's worker thread
 * (dist/worker.js) as ES module bundles, split so that each sub-command loads only its own
 * code. Run by `npm install` (the `prepare` script), by `npm run build`, before the tests and
 * the bench, and by bin/custody.js when src/ changed since the last build. The type check is
 * `npm run lint`'s job; this only strips types.
 *
 *   node scripts/build.mjs             build now
 *   node scripts/build.mjs --if-stale  build only when a file under src/ is newer than dist/
 *
 * Why bundle: Node 20 resolves and compiles ES modules one file at a time, and the VM with its
 * dependencies is a few hundred files: unbundled, a worker thread spent most of its start-up
 * in the module loader. Bundled are the packages on the execution path, all plain JavaScript;
 * everything else (native addons, WebAssembly, packages that find files next to themselves,
 * zod, which zod-openapi must share) stays a normal import resolved from node_modules.
 *
 * Plain JavaScript on purpose: it must run before anything is built.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { DIST, hasDist, isStale, LOCK, ROOT, STAMP } from './build-stamp.mjs';

const ENTRIES = { cli: 'src/cli.ts', worker: 'src/execution/parallel/worker.ts' };
/** packages inlined into the bundle (with their own dependencies listed here too) */
const BUNDLED = [
  /^@ethereumjs\//,
  /^@noble\//,
  /^@js-sdsl\//,
  /^commander$/,
  /^debug$/,
  /^ms$/,
  /^lru-cache$/,
  /^eventemitter3$/,
];

/** Any bare import not listed in BUNDLED stays external. */
const externalUnlessListed = {
  name: 'external-unless-listed',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const bundled = !args.path.startsWith('node:') && BUNDLED.some((re) => re.test(args.path));
      return bundled ? undefined : { path: args.path, external: true };
    });
  },
};

/** Thrown by build() when it has to compile and esbuild (a devDependency) is not installed. */
export class EsbuildMissingError extends Error {
  code = 'ESBUILD_MISSING';
  constructor() {
    super('esbuild is not installed (npm install --omit=dev leaves it out)');
  }
}

/** esbuild, loaded only when a build actually runs: `custody` must start without it. */
async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && /'esbuild'/.test(String(error.message))) {
      throw new EsbuildMissingError();
    }
    throw error;
  }
}

/**
 * Each output file is written beside itself and renamed into place, and chunks of earlier
 * builds are kept a while: a `custody` process started before this build still imports its
 * own (content-hashed) chunks, and never sees a half-written file.
 */
async function compile() {
  const esbuild = await loadEsbuild();
  const started = new Date();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: DIST,
    write: false,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    chunkNames: 'chunk-[hash]',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [externalUnlessListed],
    // CommonJS packages inside an ES module bundle still call require() for Node's modules
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  mkdirSync(DIST, { recursive: true });
  const written = new Set([path.basename(STAMP)]);
  for (const file of result.outputFiles) {
    writeAtomically(file.path, file.contents);
    written.add(path.basename(file.path));
  }
  written.add(DASHBOARD);
  await compileDashboard(esbuild);
  pruneOldOutputs(written);
  writeFileSync(STAMP, `${started.toISOString()}\n`);
  // dist/ is as new as the sources it was built from, not as the end of the build
  utimesSync(STAMP, started, started);
}

const DASHBOARD = 'dashboard';
const DASHBOARD_SRC = 'src/api/dashboard/web';

/**
 * The treasurers' dashboard (src/api/dashboard/web) for the browser: one script and one style
 * sheet named by their content hash, and the index.html that names them, written last. As with
 * the node bundles, each file is renamed into place and earlier assets are kept a while: a page
 * loaded just before this build still fetches its own.
 */
async function compileDashboard(esbuild) {
  const dir = path.join(DIST, DASHBOARD);
  const assets = path.join(dir, 'assets');
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: `${DASHBOARD_SRC}/main.ts` },
    outdir: assets,
    entryNames: '[name]-[hash]',
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    tsconfig: `${DASHBOARD_SRC}/tsconfig.json`,
  });
  mkdirSync(assets, { recursive: true });
  const written = new Set();
  for (const file of result.outputFiles) {
    writeAtomically(file.path, file.contents);
    written.add(path.basename(file.path));
  }
  const js = [...written].find((f) => f.endsWith('.js'));
  const css = [...written].find((f) => f.endsWith('.css'));
  if (js === undefined || css === undefined) throw new Error('dashboard: no script or style built');
  const html = readFileSync(path.join(ROOT, DASHBOARD_SRC, 'index.html'), 'utf8')
    .replace('%APP_JS%', js)
    .replace('%APP_CSS%', css);
  writeAtomically(path.join(dir, 'index.html'), html);
  pruneOld(assets, written);
}

function writeAtomically(file, contents) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, file);
}

/** Outputs of earlier builds, once no process started before them can still be loading them. */
function pruneOldOutputs(keep) {
  pruneOld(DIST, keep);
}

function pruneOld(dir, keep) {
  const cutoff = Date.now() - 10 * 60_000;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = statSync(file);
    if (keep.has(name) || st.mtimeMs >= cutoff) continue;
    rmSync(file, { recursive: st.isDirectory(), force: true });
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The pid a lock names, or undefined while its owner has not written it yet (or never will). */
function lockOwner(dir = LOCK) {
  try {
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error?.code === 'EPERM'; // someone else's process: alive
  }
}

/**
 * Takes over the lock of a build that died before its `finally` (killed, power cut): the lock is
 * renamed aside, which only one of several waiters can do, and the one that did checks it moved
 * the dead owner's lock and not one a live build made in between (then it puts it back).
 */
function takeOver(deadPid) {
  const aside = `${LOCK}.${process.pid}.${Date.now()}.stale`;
  try {
    renameSync(LOCK, aside);
  } catch {
    return; // another waiter was first
  }
  if (lockOwner(aside) !== deadPid) {
    try {
      renameSync(aside, LOCK);
      return;
    } catch {}
  }
  rmSync(aside, { recursive: true, force: true });
}

function tryLock() {
  try {
    mkdirSync(LOCK);
  } catch {
    return false;
  }
  const temp = path.join(LOCK, `pid.${process.pid}.tmp`);
  writeFileSync(temp, `${process.pid}\n`);
  renameSync(temp, path.join(LOCK, 'pid'));
  return true;
}

/**
 * Builds under a lock directory, so that two processes finding dist/ stale at once (parallel
 * tests, two terminals) build it once; the other waits, then sees it fresh. The lock holds its
 * builder's pid: a waiter whose builder has died takes the lock over at once; a lock without a
 * pid (its builder died between creating it and writing the pid) is taken over after two
 * minutes. A wait of more than a second is said once on stderr, with the builder's pid.
 */
export async function build({ ifStale = false, label = 'build' } = {}) {
  const since = Date.now();
  let said = false;
  for (;;) {
    if (ifStale && !isStale()) return false;
    if (!tryLock()) {
      const owner = lockOwner();
      if (owner !== undefined && !alive(owner)) {
        takeOver(owner);
        continue;
      }
      try {
        if (owner === undefined && Date.now() - statSync(LOCK).mtimeMs > 120_000) {
          rmSync(LOCK, { recursive: true });
        }
      } catch {}
      if (!said && Date.now() - since > 1000) {
        said = true;
        const who = owner === undefined ? '' : ` (pid ${owner})`;
        process.stderr.write(`${label}: waiting for another build${who}\n`);
      }
      sleep(100);
      continue;
    }
    try {
      if (ifStale && !isStale()) return false;
      await compile();
      return true;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] === import.meta.filename) {
  try {
    await build({ ifStale: process.argv.includes('--if-stale') });
  } catch (error) {
    if (error instanceof EsbuildMissingError && hasDist()) {
      // `prepare` after `npm install --omit=dev`: the dist/ there is what will run
      process.stderr.write('build: esbuild is not installed; keeping the dist/ already built\n');
    } else if (error instanceof EsbuildMissingError) {
      process.stderr.write(
        'build: dist/ is missing and esbuild is not installed: run `npm install` with dev dependencies\n',
      );
      process.exitCode = 1;
    } else {
      process.stderr.write('build: failed (the errors are above)\n');
      process.exitCode = 1;
    }
  }
}
