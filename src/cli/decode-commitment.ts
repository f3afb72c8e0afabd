/**
 * `custody decode-commitment HEX`: prints a settlement commitment (the OP_RETURN payload, or the
 * whole OP_RETURN script) as one JSON object. Bad input is one line on stderr and a non-zero
 * exit (the CLI wrapper formats errors); nothing reaches stdout then.
 *
 * Light on purpose: it loads the commitment module and bitcoinjs-lib, never the VM, the
 * database client or the HTTP stack.
 */
import type { Command } from 'commander';
import { commitmentFromHex, commitmentToJson } from '../settlement/commitment.ts';

export function register(program: Command): void {
  program
    .command('decode-commitment')
    .description('print a settlement commitment (OP_RETURN payload or script, hex) as JSON')
    .argument('<hex>', 'the 64-byte payload or the OP_RETURN script (6a40…), 0x optional')
    .addHelpText(
      'after',
      [
        '',
        'Prints {"tag","version","chainId","batchNumber","stateRoot","firstWithdrawalIndex",',
        '"withdrawalCount"}; the u64 fields as decimal strings (JSON numbers lose precision',
        'above 2^53), withdrawalCount as a number. The format: docs/commitment.md.',
        'Refused, with one line on stderr and exit 1: non-hex or odd-length input, a wrong',
        'length, another protocol tag, an unknown version, a script that is not one OP_RETURN push.',
      ].join('\n'),
    )
    .action((hex: string) => {
      const json = commitmentToJson(commitmentFromHex(hex));
      process.stdout.write(`${JSON.stringify(json)}\n`);
    });
}
