/**
 * A signer process for tests of the raw signing rounds: `custody signer` wired in-process with
 * allowRawForTests (raw-signing.ts). Run as `node --import tsx test/support/raw-signer-main.ts
 * signer --config FILE [--exit-with-parent]`, the arguments launchSigner passes.
 */
import { serveSigner } from '../../src/cli/signer.ts';
import { allowRawForTests } from './raw-signing.ts';

const args = process.argv.slice(2);
const config = args[args.indexOf('--config') + 1];
if (args[0] !== 'signer' || config === undefined) {
  process.stderr.write('usage: raw-signer-main.ts signer --config FILE [--exit-with-parent]\n');
  process.exit(2);
}
serveSigner(config, args.includes('--exit-with-parent'), {
  verifierInProcess: () => allowRawForTests,
}).catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
