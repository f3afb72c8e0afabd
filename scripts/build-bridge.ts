/**
 * Reproducible build of the bridge predeploy: contracts/Bridge.sol compiled by the pinned npm
 * `solc` (its bundled wasm compiler, so nothing is downloaded) with fixed settings, written to
 * src/execution/bridge/artifact.json. test/execution/bridge/artifact.test.ts recompiles and
 * requires the committed runtime bytecode to match byte for byte.
 *
 *   npx tsx scripts/build-bridge.ts          # rewrite the artifact
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export const BRIDGE_SOURCE_URL = new URL('../contracts/Bridge.sol', import.meta.url);
export const BRIDGE_ARTIFACT_URL = new URL(
  '../src/execution/bridge/artifact.json',
  import.meta.url,
);

/** Every setting that affects the bytecode is fixed here; none is left to solc's defaults. */
export const BRIDGE_COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  // No CBOR metadata tail: the runtime code then depends on the source's semantics only,
  // not on file paths or comments. The artifact's sourceSha256 binds the exact source instead.
  metadata: { appendCBOR: false, bytecodeHash: 'none' },
  outputSelection: {
    'Bridge.sol': { Bridge: ['abi', 'evm.deployedBytecode.object', 'storageLayout'] },
  },
} as const;

export interface StorageSlot {
  label: string;
  slot: string;
  offset: number;
  type: string;
}

export interface BridgeArtifact {
  contract: 'Bridge';
  compiler: { version: string; settings: typeof BRIDGE_COMPILER_SETTINGS };
  sourceSha256: string;
  abi: unknown[];
  deployedBytecode: string;
  storageLayout: StorageSlot[];
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: unknown[];
        evm: { deployedBytecode: { object: string } };
        storageLayout: { storage: StorageSlot[] };
      }
    >
  >;
}

export function compileBridge(source = readFileSync(BRIDGE_SOURCE_URL, 'utf8')): BridgeArtifact {
  const solc = require('solc') as { compile(input: string): string; version(): string };
  const input = { language: 'Solidity', sources: { 'Bridge.sol': { content: source } } };
  const output = JSON.parse(
    solc.compile(JSON.stringify({ ...input, settings: BRIDGE_COMPILER_SETTINGS })),
  ) as SolcOutput;
  const failures = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (failures.length > 0) {
    throw new Error(`Bridge.sol does not compile:\n${failures.map((e) => e.formattedMessage)}`);
  }
  const contract = output.contracts?.['Bridge.sol']?.Bridge;
  if (!contract) throw new Error('solc returned no Bridge contract');
  return {
    contract: 'Bridge',
    compiler: { version: solc.version(), settings: BRIDGE_COMPILER_SETTINGS },
    sourceSha256: createHash('sha256').update(source, 'utf8').digest('hex'),
    abi: contract.abi,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    storageLayout: contract.storageLayout.storage.map(({ label, slot, offset, type }) => ({
      label,
      slot,
      offset,
      type,
    })),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const artifact = compileBridge();
  writeFileSync(BRIDGE_ARTIFACT_URL, `${JSON.stringify(artifact, null, 2)}\n`);
  // Lay the JSON out as the linter would, so a rebuild of an unchanged source is no diff.
  const biome = require.resolve('@biomejs/biome/bin/biome');
  execFileSync(process.execPath, [biome, 'format', '--write', fileURLToPath(BRIDGE_ARTIFACT_URL)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const size = (artifact.deployedBytecode.length - 2) / 2;
  process.stderr.write(`wrote ${fileURLToPath(BRIDGE_ARTIFACT_URL)} (${size} bytes runtime)\n`);
}
