/** A geth genesis file (chain id 4242) funding one address, as a test's GENESIS_FILE. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export function fundedGenesis(dir: string, address: string, wei = 10n ** 24n): string {
  const file = path.join(dir, 'genesis.json');
  writeFileSync(
    file,
    JSON.stringify({
      config: { chainId: 4242 },
      alloc: { [address]: { balance: `0x${wei.toString(16)}` } },
    }),
  );
  return file;
}
