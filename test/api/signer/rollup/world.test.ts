/**
 * The signer's own world state comes from the genesis of its own config, checked by hash when
 * the operator pinned it; a directory of another chain is never continued.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSignerWorld } from '../../../../src/api/signer/rollup/world.ts';
import { ConfigError } from '../../../../src/shared/errors.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function genesis(balance: bigint): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'signer-world-'));
  dirs.push(dir);
  const file = path.join(dir, 'genesis.json');
  writeFileSync(
    file,
    JSON.stringify({
      config: { chainId: 77 },
      alloc: {
        '0x00000000000000000000000000000000000000aa': { balance: `0x${balance.toString(16)}` },
      },
    }),
  );
  return file;
}

describe("a signer's own world state", () => {
  it('is created from the genesis of its own config, with the bridge predeploy of its network', async () => {
    const file = genesis(1000n);
    const world = await openSignerWorld(
      {
        genesisFile: file,
        genesisStateRoot: undefined,
        dataDir: path.join(path.dirname(file), 'r'),
      },
      'litecoin-regtest',
    );
    try {
      expect(world.chainId).toBe(77n);
      expect(world.ws.headRoot()).toBe(world.genesisRoot);
    } finally {
      await world.ws.close();
    }
  });

  it('a genesis that does not hash to the pinned root stops start-up (a swapped genesis file)', async () => {
    const file = genesis(1000n);
    const dataDir = path.join(path.dirname(file), 'r');
    const first = await openSignerWorld(
      { genesisFile: file, genesisStateRoot: undefined, dataDir },
      'litecoin-regtest',
    );
    const pinned = first.genesisRoot;
    await first.ws.close();
    const swapped = genesis(2000n);
    const error = await openSignerWorld(
      {
        genesisFile: swapped,
        genesisStateRoot: pinned,
        dataDir: path.join(path.dirname(swapped), 'r'),
      },
      'litecoin-regtest',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /^rollup\.genesisStateRoot: the genesis .* has state root 0x[0-9a-f]{64}, not 0x/,
    );
    const again = await openSignerWorld(
      { genesisFile: file, genesisStateRoot: pinned, dataDir },
      'litecoin-regtest',
    );
    await again.ws.close();
  });

  it('a data directory of another chain is refused, never continued', async () => {
    const file = genesis(1000n);
    const dataDir = path.join(path.dirname(file), 'r');
    const world = await openSignerWorld(
      { genesisFile: file, genesisStateRoot: undefined, dataDir },
      'litecoin-regtest',
    );
    await world.ws.close();
    await expect(
      openSignerWorld(
        { genesisFile: genesis(5n), genesisStateRoot: undefined, dataDir },
        'litecoin-regtest',
      ),
    ).rejects.toThrow(/holds the chain of genesis/);
  });

  it('an unreadable genesis file is a configuration error naming the setting', async () => {
    await expect(
      openSignerWorld(
        {
          genesisFile: '/nonexistent/genesis.json',
          genesisStateRoot: undefined,
          dataDir: '/tmp/x',
        },
        'litecoin-regtest',
      ),
    ).rejects.toThrow(/^rollup\.genesisFile: /);
  });
});
