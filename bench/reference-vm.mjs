/**
 * The alternative a user would pick: a plain Node script that runs a batch file one
 * transaction after another on @ethereumjs/vm in its fastest configuration (state caches,
 * native secp256k1 and keccak as Common's custom crypto). No project code: what it shows is
 * what @ethereumjs/vm does on its own.
 *
 *   node bench/reference-vm.mjs BATCH_FILE
 *
 * prints {stateRoot, gasUsed, txCount, execMs} on stdout (execMs: from the first transaction to
 * the state root, pre-state loading excluded).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createBlock } from '@ethereumjs/block';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager';
import { createTxFromRLP } from '@ethereumjs/tx';
import {
  Account,
  Address,
  bigIntToBytes,
  bytesToHex,
  hexToBytes,
  setLengthLeft,
} from '@ethereumjs/util';
import { createVM, runTx } from '@ethereumjs/vm';

const require = createRequire(import.meta.url);
const createKeccak = require('keccak/bindings');
const secp = require('secp256k1/bindings');

const keccak256 = (msg) => {
  const out = createKeccak('keccak256').update(Buffer.from(msg)).digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
};
const ecrecover = (msgHash, v, r, s, chainId) => {
  const id = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n);
  const sig = new Uint8Array(64);
  sig.set(r, 32 - r.length);
  sig.set(s, 64 - s.length);
  return secp.ecdsaRecover(sig, Number(id), msgHash, false).slice(1);
};

const file = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const env = file.env;
const common = new Common({
  chain: { ...Mainnet, chainId: Number(BigInt(env.chainId)) },
  hardfork: Hardfork.Cancun,
  customCrypto: { keccak256, ecrecover },
});
const stateManager = new MerkleStateManager({ common, caches: new Caches() });
for (const [address, acc] of Object.entries(file.pre)) {
  const a = new Address(hexToBytes(address));
  await stateManager.putAccount(a, new Account(BigInt(acc.nonce ?? 0), BigInt(acc.balance ?? 0)));
  if (acc.code !== undefined && acc.code !== '0x') {
    await stateManager.putCode(a, hexToBytes(acc.code));
  }
  for (const [slot, value] of Object.entries(acc.storage ?? {})) {
    const v = BigInt(value);
    const key = setLengthLeft(bigIntToBytes(BigInt(slot)), 32);
    if (v !== 0n) await stateManager.putStorage(a, key, bigIntToBytes(v));
  }
}
const blockHashes = {
  getBlock: async (n) => ({ hash: () => keccak256(new TextEncoder().encode(String(n))) }),
  putBlock: async () => {},
  shallowCopy: () => blockHashes,
};
const vm = await createVM({ common, stateManager, blockchain: blockHashes });
const block = createBlock(
  {
    header: {
      coinbase: new Address(hexToBytes(env.coinbase)),
      number: BigInt(env.number),
      timestamp: BigInt(env.timestamp),
      gasLimit: BigInt(env.gasLimit),
      baseFeePerGas: BigInt(env.baseFee),
      mixHash: hexToBytes(env.prevRandao),
      difficulty: 0n,
      excessBlobGas: 0n,
    },
  },
  { common, skipConsensusFormatValidation: true },
);

const started = performance.now();
let gasUsed = 0n;
for (const raw of file.txs) {
  const tx = createTxFromRLP(hexToBytes(raw), { common });
  const res = await runTx(vm, { tx, block, skipHardForkValidation: true });
  gasUsed += res.totalGasSpent;
}
const stateRoot = bytesToHex(await stateManager.getStateRoot());
const execMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ stateRoot, gasUsed: `0x${gasUsed.toString(16)}`, txCount: file.txs.length, execMs: Math.round(execMs) })}\n`,
);
