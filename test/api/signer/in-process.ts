/**
 * A signer's context in this process, holding participant 1's share of a test DKG: for tests
 * of the signer's services without its HTTP server.
 */
import type { SignerContext } from '../../../src/api/signer/context.ts';
import type { SignerSql } from '../../../src/api/signer/signer-sql.ts';
import { storeFrostKey } from '../../../src/api/signer/vault.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import type { runFullDkg } from '../../custody/helpers.ts';
import { allowRawForTests } from '../../support/raw-signing.ts';

export async function signerWithKey(
  db: SignerContext['db'],
  dkg: ReturnType<typeof runFullDkg>,
  keyId: string,
  sql?: SignerSql,
): Promise<SignerContext> {
  const ctx: SignerContext = {
    name: 's',
    db,
    kek: crypto.getRandomValues(new Uint8Array(32)),
    identity: generateIdentity(),
    dealerKeys: [],
    policy: allowRawForTests,
    log: createLogger({ level: 'silent' }),
    crash: () => {},
    ...(sql === undefined ? {} : { sql }),
  };
  const mine = dkg.results[0]!;
  await storeFrostKey(ctx.db, ctx.kek, {
    keyId,
    groupKey: mine.groupKey,
    share: mine.share,
    outputKey: mine.outputKey,
  });
  return ctx;
}
