/**
 * The signing-session client interfaces over a signer process's REST API (requests signed by
 * the coordinator's identity key, responses checked against the signer's; see SignerClient).
 * A call whose round deadline passes is abandoned at once, whatever the socket does.
 */
import {
  parseNonceCommitment,
  parseSignatureShare,
  type WireNonceCommitment,
} from '../../../custody/frost/wire.ts';
import type { SignerClient } from '../../signer/client.ts';
import type {
  FrostCommitRequest,
  FrostSignerClient,
  FrostSignRequest,
  MultisigSignerClient,
  MultisigSignRequest,
} from './clients.ts';

export interface RemoteSigner {
  /** The coordinator's name for it (Signer.name). */
  name: string;
  url: string;
  identifier: string;
  client: SignerClient;
}

export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class HttpFrostSigner implements FrostSignerClient {
  /** nonceId per attempt id: the signer names nonces, the session names attempts. */
  private readonly nonceIds = new Map<string, string>();
  constructor(private readonly remote: RemoteSigner) {}

  get signerId() {
    return this.remote.name;
  }
  get identifier() {
    return this.remote.identifier;
  }

  async commit(req: FrostCommitRequest, signal: AbortSignal): Promise<WireNonceCommitment> {
    const { items } = await raceAbort(
      this.remote.client.post<{ items: { nonceId: string; commitment: unknown }[] }>(
        '/v1/frost/commitments',
        { keyId: req.keyId, count: 1 },
      ),
      signal,
    );
    const item = items[0];
    if (!item || items.length !== 1) throw new Error('expected exactly one commitment');
    // Whether it carries this signer's identifier is the session's check: it blames the signer.
    const commitment = parseNonceCommitment(item.commitment, 'items[0].commitment');
    this.nonceIds.set(req.sessionId, item.nonceId);
    return commitment;
  }

  async sign(req: FrostSignRequest, signal: AbortSignal) {
    const nonceId = this.nonceIds.get(req.sessionId);
    if (!nonceId) throw new Error(`no commitment from ${this.signerId} for ${req.sessionId}`);
    this.nonceIds.delete(req.sessionId);
    const { signatureShare } = await raceAbort(
      this.remote.client.post<{ signatureShare: unknown }>('/v1/frost/sign', {
        keyId: req.keyId,
        nonceId,
        sessionId: req.sessionId,
        proposalId: req.proposalId,
        message: req.message,
        commitments: req.commitments,
        ...(req.settlement ? { settlement: req.settlement } : {}),
      }),
      signal,
    );
    return parseSignatureShare(signatureShare);
  }
}

export class HttpMultisigSigner implements MultisigSignerClient {
  constructor(
    private readonly remote: RemoteSigner,
    readonly publicKey: string,
    private readonly scriptType: 'p2wsh' | 'tapscript',
  ) {}

  get signerId() {
    return this.remote.name;
  }

  async signPartial(req: MultisigSignRequest, signal: AbortSignal): Promise<string> {
    const { signature } = await raceAbort(
      this.remote.client.post<{ signature: string }>('/v1/multisig/sign', {
        keyId: req.keyId,
        proposalId: req.proposalId,
        scriptType: this.scriptType,
        sighash: req.sighash,
        ...(req.settlement ? { settlement: req.settlement } : {}),
      }),
      signal,
    );
    return signature;
  }
}
