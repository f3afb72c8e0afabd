/**
 * What the operator of each local signer registers with it (the embedded default only): the
 * multi-sig custody definition its key signs for, and with the offline backend the custody
 * outputs the operator registered. A real institution's operator runs `custody register` on its
 * own signer after checking these itself; here one operator runs all three, so `custody start`
 * and `custody settle` do it for them. Each registration is idempotent and audited in the
 * signer's own log; a signer refusing one is reported, never overridden.
 */
import path from 'node:path';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { openStore } from '../../store/store.ts';
import { registerCustody, registerOutput } from '../signer/operator.ts';
import type { Custody } from './custody.ts';
import { LOCAL_SIGNER_NAMES } from './local-signers.ts';
import { readRegisteredOutputs } from './settlement/open.ts';

export interface LocalRecordsOpts {
  config: Pick<Config, 'dataDir' | 'bitcoinRpcUrl'>;
  custody: Custody;
  log: Logger;
}

const ACTOR = 'operator';

export async function registerWithLocalSigners(opts: LocalRecordsOpts): Promise<void> {
  const key = opts.custody.key;
  // With a node each signer reads custody outputs from it; offline, from its registrations.
  const { dataDir, bitcoinRpcUrl } = opts.config;
  const outputs = bitcoinRpcUrl ? [] : readRegisteredOutputs(dataDir);
  for (const name of LOCAL_SIGNER_NAMES) {
    if (!key.signerNames.includes(name)) continue;
    const dir = path.join(dataDir, 'signers', name);
    const store = await openStore({ databaseUrl: `file:${path.join(dir, 'signer.db')}` });
    try {
      if (key.publicKeys !== undefined) {
        await registerCustody(store.db, ACTOR, key.id, {
          scheme: key.scheme,
          threshold: key.threshold,
          publicKeys: Object.values(key.publicKeys),
        });
      }
      for (const o of outputs) {
        await registerOutput(store.db, ACTOR, o).catch((error: unknown) =>
          opts.log.warn(
            { signer: name, outpoint: `${o.txid}:${o.vout}`, error: (error as Error).message },
            'local signer refused a custody output',
          ),
        );
      }
    } finally {
      await store.close();
    }
  }
}
