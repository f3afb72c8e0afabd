/**
 * `npm run bench -- --json [--only SECTION]`: runs every benchmark section and prints ONE JSON
 * object `{SECTION: {...}}` on stdout (progress goes to stderr).
 *
 * Sections are modules named `bench/<section>.section.ts` exporting
 * `run(): Promise<Record<string, unknown>>`; adding a file adds a section, nothing here changes.
 */
import { readdirSync } from 'node:fs';

interface SectionModule {
  run(): Promise<Record<string, unknown>>;
}

const SECTION_FILE = /^([a-z][a-z0-9-]*)\.section\.ts$/;

function parseArgs(argv: string[]): { json: boolean; only: string | undefined } {
  let json = false;
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--only') only = argv[++i];
    else if (a?.startsWith('--only=')) only = a.slice('--only='.length);
    else throw new Error(`unknown argument ${a}`);
  }
  return { json, only };
}

const { json, only } = parseArgs(process.argv.slice(2));
const dir = new URL('./', import.meta.url);
const sections = readdirSync(dir)
  .map((f) => SECTION_FILE.exec(f))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ name: m[1] as string, file: m[0] }))
  .sort((a, b) => a.name.localeCompare(b.name));

if (only !== undefined && !sections.some((s) => s.name === only)) {
  process.stderr.write(
    `bench: unknown section ${only} (have: ${sections.map((s) => s.name).join(', ')})\n`,
  );
  process.exit(2);
}

const out: Record<string, unknown> = {};
for (const s of sections) {
  if (only !== undefined && s.name !== only) continue;
  process.stderr.write(`bench: ${s.name}\n`);
  const mod = (await import(new URL(s.file, dir).href)) as SectionModule;
  out[s.name] = await mod.run();
}
process.stdout.write(json ? `${JSON.stringify(out)}\n` : `${JSON.stringify(out, null, 2)}\n`);
// worker pools and timers of sections must not keep the process alive
process.exit(0);
