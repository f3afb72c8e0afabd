import { describe, expect, it } from 'vitest';
import type {
  MultisigSignerClient,
  MultisigSignRequest,
} from '../../../../src/api/coordinator/signing/clients.ts';
import { runMultisigSession } from '../../../../src/api/coordinator/signing/multisig-session.ts';
import { SigningFailedError } from '../../../../src/api/coordinator/signing/session-record.ts';
import {
  generateMultisigKey,
  type MultisigSignerKey,
} from '../../../../src/custody/multisig/keys.ts';
import {
  signP2wshPartial,
  signTapscriptPartial,
  verifyP2wshPartial,
  verifyTapscriptPartial,
} from '../../../../src/custody/multisig/partial-sign.ts';
import { DATABASE_KINDS, useFreshStore } from '../../../support/databases.ts';

type Scheme = 'multisig-p2wsh' | 'multisig-tapscript';
type Behaviour = 'honest' | 'wrong-key' | 'garbage' | 'silent';

class InProcessMultisigSigner implements MultisigSignerClient {
  readonly key: MultisigSignerKey = generateMultisigKey();
  constructor(
    readonly signerId: string,
    readonly scheme: Scheme,
    public behaviour: Behaviour = 'honest',
  ) {}
  get publicKey() {
    // x-only for tapscript: drop the parity byte of the compressed key.
    return this.scheme === 'multisig-p2wsh'
      ? this.key.publicKey
      : `0x${this.key.publicKey.slice(4)}`;
  }
  async signPartial(req: MultisigSignRequest, signal: AbortSignal): Promise<string> {
    if (this.behaviour === 'silent') {
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason)),
      );
    }
    if (this.behaviour === 'garbage') return '0x00';
    const secretKey =
      this.behaviour === 'wrong-key' ? generateMultisigKey().secretKey : this.key.secretKey;
    const sighash = Buffer.from(req.sighash.slice(2), 'hex');
    return this.scheme === 'multisig-p2wsh'
      ? signP2wshPartial({ secretKey, sighash })
      : signTapscriptPartial({ secretKey, sighash });
  }
}

const sighash = new Uint8Array(32).fill(9);

describe.each(DATABASE_KINDS)('multi-sig signing session on %s', (kind) => {
  const ctx = useFreshStore(kind);

  const run = (scheme: Scheme, signers: InProcessMultisigSigner[], threshold = 2) =>
    runMultisigSession({
      db: ctx.store.db,
      scheme,
      signers,
      threshold,
      keyId: 'k',
      proposalId: 'p',
      sighash,
      roundTimeoutMs: 500,
    });

  describe.each(['multisig-p2wsh', 'multisig-tapscript'] as const)('%s', (scheme) => {
    const make = (behaviours: Behaviour[]) =>
      behaviours.map((b, i) => new InProcessMultisigSigner(`s${i}`, scheme, b));
    const verify = scheme === 'multisig-p2wsh' ? verifyP2wshPartial : verifyTapscriptPartial;

    it('collects m valid partial signatures, each checked against the recorded key', async () => {
      const signers = make(['honest', 'honest', 'honest']);
      const result = await run(scheme, signers);
      expect(Object.keys(result.signatures)).toHaveLength(2);
      for (const [id, sig] of Object.entries(result.signatures)) {
        const signer = signers.find((s) => s.signerId === id)!;
        expect(verify(signer.publicKey, sighash, sig)).toBe(true);
      }
    });

    it('names a signer that signs with a key other than the one it registered', async () => {
      const result = await run(scheme, make(['wrong-key', 'honest', 'honest']));
      expect(result.signatures.s0).toBeUndefined();
      expect(result.culprits).toEqual(['s0']);
    });

    it('names a signer that answers with garbage', async () => {
      const result = await run(scheme, make(['honest', 'garbage', 'honest']));
      expect(result.culprits).toEqual(['s1']);
    });

    it('signs around a silent signer', async () => {
      const result = await run(scheme, make(['silent', 'honest', 'honest']));
      expect(Object.keys(result.signatures).sort()).toEqual(['s1', 's2']);
    });

    it('fails when fewer than m honest signers remain', async () => {
      await expect(run(scheme, make(['wrong-key', 'silent', 'honest']))).rejects.toBeInstanceOf(
        SigningFailedError,
      );
    });
  });
});
