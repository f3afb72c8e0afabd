/**
 * How an executor runs a batch on the node's world state: the checks made before any
 * transaction executes, and the commit after. A batch on `preStateRoot` needs a world state
 * that holds that root; committing needs that root to be the current head (a batch built on
 * an older state is refused, and checked again atomically at commit time).
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager';
import { InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import { bytesToHex, parseHexBytes } from '../../shared/hex.ts';
import type { Batch } from '../types.ts';
import type { WorldState } from './world-state.ts';

export interface WorldStateOpts {
  /** The node's world state: required for a batch on `preStateRoot`, unused for `pre`. */
  worldState?: WorldState;
  /** Make the post-state the world state's new head (a batch on the current head only). */
  commit?: boolean;
  /**
   * With `commit`: commit only when the post-state root is this one (0x-hex). A signer checks a
   * root someone else claims; a different root leaves the head untouched and the result, without
   * `committed`, names the root it found.
   */
  commitOnlyIfRoot?: string;
}

export interface WorldStateBinding {
  ws: WorldState;
  /** 0x-hex pre-state root */
  root: string;
  commit: boolean;
  /** lower-case 0x-hex root the post-state must have to be committed */
  expectedRoot?: string;
}

export function bindWorldState(batch: Batch, opts: WorldStateOpts): WorldStateBinding | undefined {
  const root = batch.preStateRoot;
  if (root === undefined) {
    if (opts.commit === true) {
      throw new InvalidInputError(
        'commit: only a batch on "preStateRoot" can be committed to the world state',
        { field: 'commit' },
      );
    }
    return undefined;
  }
  const ws = opts.worldState;
  if (ws === undefined) {
    throw new InvalidInputError(
      'preStateRoot: this executor was given no world state to read it from',
      { field: 'preStateRoot' },
    );
  }
  if (!ws.hasState(root)) {
    throw new NotFoundError(`preStateRoot: ${root} is not a state this node holds`);
  }
  const commit = opts.commit === true;
  if (commit) ws.ensurePreStateRoot(root);
  if (opts.commitOnlyIfRoot === undefined) return { ws, root, commit };
  if (!commit) {
    throw new InvalidInputError('commitOnlyIfRoot: only meaningful with commit', {
      field: 'commitOnlyIfRoot',
    });
  }
  const expectedRoot = bytesToHex(parseHexBytes(opts.commitOnlyIfRoot, 'commitOnlyIfRoot', 32));
  return { ws, root, commit, expectedRoot };
}

function rootAllowed(binding: WorldStateBinding, root: string): boolean {
  return binding.expectedRoot === undefined || binding.expectedRoot === root.toLowerCase();
}

/** Commits `sm` (opened by `binding.ws` at the batch's pre-state root) when asked to. */
export async function commitIfAsked(
  binding: WorldStateBinding | undefined,
  sm: MerkleStateManager,
): Promise<{ root: string; height: number } | undefined> {
  if (binding?.commit !== true) return undefined;
  if (!rootAllowed(binding, bytesToHex(await sm.getStateRoot()))) return undefined;
  const { root, height } = await binding.ws.commitFrom(sm);
  return { root, height };
}

/** Commits a post-state built as new nodes on the batch's pre-state root, when asked to. */
export async function commitNodesIfAsked(
  binding: WorldStateBinding | undefined,
  root: Uint8Array,
  nodes: ReadonlyMap<string, Uint8Array>,
): Promise<{ root: string; height: number } | undefined> {
  if (binding?.commit !== true) return undefined;
  if (!rootAllowed(binding, bytesToHex(root))) return undefined;
  const committed = await binding.ws.commitNodes(binding.root, root, nodes);
  return { root: committed.root, height: committed.height };
}
