/**
 * Signing a settlement: one signing session per input over the sighash the custody type
 * computes (BIP341 key path, BIP143, BIP341 script path), through the existing FROST or
 * multi-sig sessions. The PSBT is saved after each input, so a restart signs only what is left.
 */
import type { BuiltSettlement } from '../../../settlement/build.ts';
import type { InputSignature } from '../../../settlement/custody-types/types.ts';
import { ConflictError } from '../../../shared/errors.ts';
import type { SettlementDeps } from './deps.ts';
import { syncSigners } from './sync.ts';

export async function signInputs(
  deps: SettlementDeps,
  id: string,
  settlement: BuiltSettlement,
): Promise<void> {
  // Every input already holds its signatures (co-signers uploaded them): nobody to ask.
  const complete = settlement.inputs.every(
    (_, i) => deps.type.signaturesIn(settlement.psbt, i).length >= deps.type.threshold,
  );
  if (complete) return;
  // Each signer verifies the batch this settles in its own rollup before it will sign.
  await syncSigners(deps, Number(settlement.commitment.batchNumber));
  await signEachInput(deps, id, settlement);
}

/** The signing sessions alone, for signers already in step (signInputs brings them there). */
export async function signEachInput(
  deps: SettlementDeps,
  id: string,
  settlement: BuiltSettlement,
): Promise<void> {
  const approvals = await treasurerApprovals(deps, id);
  for (let i = 0; i < settlement.inputs.length; i++) {
    if (deps.type.signaturesIn(settlement.psbt, i).length >= deps.type.threshold) continue;
    const sighash = deps.type.sighash(settlement.unsignedTx, i, settlement.prevouts);
    // One proposal per input of one transaction version: a signer binds one digest to it.
    const proposalId = `${id}:${settlement.txid.slice(0, 16)}:${i}`;
    // Signers derive the sighash themselves from the settlement this names (issue 13).
    const signed = await deps.custody.sign(
      sighash,
      proposalId,
      {
        psbt: settlement.psbt.toBase64(),
        batchNumber: Number(settlement.commitment.batchNumber),
        feeRateSatPerVb: settlement.feeRateSatPerVb,
        inputIndex: i,
        ...(approvals.length === 0 ? {} : { approvals, approvalsFor: id }),
      },
      id,
    );
    const sigs = toInputSignatures(deps, signed.signature);
    for (const s of sigs) {
      if (!deps.type.verifySignature(sighash, s)) {
        throw new ConflictError(
          `settlement ${id}: input ${i}: a returned signature does not verify`,
        );
      }
    }
    deps.type.addSignatures(settlement.psbt, i, sigs);
    await deps.db.settlement.update({ where: { id }, data: { psbt: settlement.psbt.toBase64() } });
  }
}

/** The treasurers' signed approvals, forwarded: each signer checks the quorum itself. */
async function treasurerApprovals(
  deps: SettlementDeps,
  id: string,
): Promise<{ address: string; signature: string }[]> {
  const rows = await deps.db.approval.findMany({
    where: { settlementId: id, role: 'treasurer', decision: 'approve', signature: { not: null } },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((r) => ({ address: r.approver, signature: r.signature as string }));
}

/** FROST: one BIP340 signature by the output key. Multi-sig: signer name → signature. */
function toInputSignatures(deps: SettlementDeps, signature: string): InputSignature[] {
  const key = deps.custody.key;
  if (key.groupKey !== undefined) {
    return [{ publicKey: deps.type.signingKeys[0] as Uint8Array, signature: bytes(signature) }];
  }
  const bySigner = JSON.parse(signature) as Record<string, string>;
  return Object.entries(bySigner).map(([name, sig]) => {
    const compressed = key.publicKeys?.[name];
    if (compressed === undefined) throw new ConflictError(`signature from unknown signer ${name}`);
    const publicKey = bytes(compressed);
    return {
      publicKey: deps.type.name === 'multisig-tapscript' ? publicKey.subarray(1) : publicKey,
      signature: bytes(sig),
    };
  });
}

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
}
