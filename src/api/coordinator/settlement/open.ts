/**
 * Wiring the settlement pipeline for a coordinator: the custody type of its key, the policy
 * defaults, the backend from BITCOIN_RPC_URL, and (offline) the custody outputs the operator
 * registered in $DATA_DIR/custody-outputs.json.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { outputKeyXOnly } from '../../../custody/frost/wire.ts';
import { openBackend } from '../../../settlement/backend/index.ts';
import type { ChainOutput } from '../../../settlement/backend/types.ts';
import type { SettlementPolicy } from '../../../settlement/build.ts';
import { custodyType } from '../../../settlement/custody-types/index.ts';
import { hex } from '../../../settlement/custody-types/keys.ts';
import type { CustodyType } from '../../../settlement/custody-types/types.ts';
import { settlementNetwork } from '../../../settlement/networks.ts';
import type { Config } from '../../../shared/config.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { Db } from '../../../store/store.ts';
import { readAccessList } from '../access-lists.ts';
import type { Custody } from '../custody.ts';
import type { SettlementDeps } from './deps.ts';

/** Policy defaults (sat/vB and sats); the approvals/REST issue makes them configurable. */
export const DEFAULT_POLICY = {
  maxWithdrawals: 2_000,
  maxFeeRateSatPerVb: 200,
  maxFeeSats: 2_000_000n,
  fallbackFeeRateSatPerVb: 2,
  minFeeRateSatPerVb: 1,
} as const;
export const DEFAULT_BUMP_AFTER_BLOCKS = 3;
/** Bitcoin Core's and Litecoin Core 0.21's -incrementalrelayfee default: 1 sat/vB. */
export const INCREMENTAL_RELAY_FEE_SAT_PER_VB = 1;

export function custodyTypeOf(custody: Custody): CustodyType {
  const key = custody.key;
  if (key.groupKey !== undefined)
    return custodyType({ scheme: 'frost', outputKey: outputKeyXOnly(key.groupKey) });
  return custodyType({
    scheme: key.scheme as 'multisig-p2wsh' | 'multisig-tapscript',
    threshold: key.threshold,
    publicKeys: Object.values(key.publicKeys ?? {}),
  });
}

export interface OpenSettlementOpts {
  config: Config;
  db: Db;
  custody: Custody;
  chainId: bigint;
  log: Logger;
  bumpAfterBlocks?: number;
  afterTransition?: SettlementDeps['afterTransition'];
}

export function openSettlement(opts: OpenSettlementOpts): SettlementDeps {
  const network = settlementNetwork(opts.config.network);
  const type = custodyTypeOf(opts.custody);
  const policy: SettlementPolicy = { ...DEFAULT_POLICY, network, custody: type };
  const backend = openBackend({
    network: opts.config.network,
    ...(opts.config.bitcoinRpcUrl === undefined ? {} : { rpcUrl: opts.config.bitcoinRpcUrl }),
    outboxDir: path.join(opts.config.dataDir, 'outbox'),
  });
  return {
    db: opts.db,
    backend,
    custody: opts.custody,
    type,
    policy,
    chainId: opts.chainId,
    confirmations: opts.config.confirmations,
    bumpAfterBlocks: opts.bumpAfterBlocks ?? DEFAULT_BUMP_AFTER_BLOCKS,
    incrementalRelayFeeSatPerVb: INCREMENTAL_RELAY_FEE_SAT_PER_VB,
    registeredOutputs: async () => readRegisteredOutputs(opts.config.dataDir),
    accessListOf: (n) => readAccessList(opts.config.dataDir, n),
    approver: 'operator',
    log: opts.log,
    ...(opts.afterTransition === undefined ? {} : { afterTransition: opts.afterTransition }),
  };
}

function registryFile(dataDir: string): string {
  return path.join(dataDir, 'custody-outputs.json');
}

interface StoredOutput extends Omit<ChainOutput, 'valueSats'> {
  valueSats: string;
}

export function readRegisteredOutputs(dataDir: string): ChainOutput[] {
  let text: string;
  try {
    text = readFileSync(registryFile(dataDir), 'utf8');
  } catch {
    return [];
  }
  return (JSON.parse(text) as StoredOutput[]).map((o) => ({
    ...o,
    valueSats: BigInt(o.valueSats),
  }));
}

/** `TXID:VOUT:SATS` of an output the operator saw confirmed at the custody address. */
export function registerOutput(dataDir: string, spec: string, type: CustodyType): ChainOutput {
  const m = /^([0-9a-f]{64}):(\d{1,10}):(\d{1,16})$/.exec(spec);
  if (m === null) {
    throw new InvalidInputError(
      '--register-output: expected TXID:VOUT:SATS (64 lower-case hex digits, integers)',
    );
  }
  const output: ChainOutput = {
    txid: m[1] as string,
    vout: Number(m[2]),
    valueSats: BigInt(m[3] as string),
    scriptPubKey: hex(type.scriptPubKey),
    confirmations: 1,
  };
  const all = readRegisteredOutputs(dataDir).filter(
    (o) => !(o.txid === output.txid && o.vout === output.vout),
  );
  all.push(output);
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${registryFile(dataDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(all.map((o) => ({ ...o, valueSats: o.valueSats.toString() }))));
  renameSync(tmp, registryFile(dataDir));
  return output;
}
