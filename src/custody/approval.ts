/**
 * Treasurer approvals: EIP-712 typed-data signatures (viem) over what a settlement spends, pays
 * and commits (src/settlement/approval-message.ts). The coordinator checks them when they are
 * given, every signer checks them again from the PSBT it verified before it signs, and `custody
 * audit verify` re-checks every recorded one.
 *
 * EIP-712: "encode(domainSeparator : 𝔹²⁵⁶, message : 𝕊) = "\x19\x01" ‖ domainSeparator ‖
 * hashStruct(message)"; viem's hashTypedData and recoverTypedDataAddress implement it.
 */
import { type Hex, hashTypedData, recoverTypedDataAddress } from 'viem';
import { InvalidInputError } from '../shared/errors.ts';

export const APPROVAL_DECISIONS = ['approve', 'reject'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

export interface ApprovalContent {
  /**
   * The coordinator's id of the settlement: an approval of one settlement cannot be replayed on
   * another that spends, pays and commits the same (one proposed again after a rejection).
   */
  settlementId: string;
  inputs: { txid: string; vout: number }[];
  payouts: { scriptPubKey: string; valueSats: bigint }[];
  commitment: string;
}

export const APPROVAL_TYPES = {
  Input: [
    { name: 'txid', type: 'bytes32' },
    { name: 'vout', type: 'uint32' },
  ],
  Payout: [
    { name: 'scriptPubKey', type: 'bytes' },
    { name: 'valueSats', type: 'uint64' },
  ],
  SettlementApproval: [
    { name: 'settlementId', type: 'string' },
    { name: 'decision', type: 'string' },
    { name: 'inputs', type: 'Input[]' },
    { name: 'payouts', type: 'Payout[]' },
    { name: 'commitment', type: 'bytes' },
  ],
} as const;

/** The rollup's chain id keeps an approval for one rollup from being replayed on another. */
export function approvalDomain(chainId: bigint) {
  return { name: 'rollup-custody', version: '1', chainId } as const;
}

export function approvalTypedData(
  chainId: bigint,
  decision: ApprovalDecision,
  content: ApprovalContent,
) {
  return {
    domain: approvalDomain(chainId),
    types: APPROVAL_TYPES,
    primaryType: 'SettlementApproval' as const,
    message: {
      settlementId: content.settlementId,
      decision,
      inputs: content.inputs.map((i) => ({ txid: i.txid as Hex, vout: i.vout })),
      payouts: content.payouts.map((p) => ({
        scriptPubKey: p.scriptPubKey as Hex,
        valueSats: p.valueSats,
      })),
      commitment: content.commitment as Hex,
    },
  };
}

/** The typed data as JSON (bigints as decimal strings), for clients that sign it. */
export function approvalTypedDataJson(
  chainId: bigint,
  decision: ApprovalDecision,
  content: ApprovalContent,
) {
  const t = approvalTypedData(chainId, decision, content);
  return {
    ...t,
    domain: { ...t.domain, chainId: Number(chainId) },
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
      ],
      ...t.types,
    },
    message: {
      ...t.message,
      payouts: t.message.payouts.map((p) => ({ ...p, valueSats: p.valueSats.toString() })),
    },
  };
}

export function approvalDigest(
  chainId: bigint,
  decision: ApprovalDecision,
  content: ApprovalContent,
): Hex {
  return hashTypedData(approvalTypedData(chainId, decision, content));
}

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/** The lower-case address that signed, or InvalidInputError naming `field`. */
export async function approvalSigner(
  chainId: bigint,
  decision: ApprovalDecision,
  content: ApprovalContent,
  signature: string,
  field = 'signature',
): Promise<string> {
  if (!SIGNATURE.test(signature)) {
    throw new InvalidInputError(`${field}: expected a 65-byte 0x-hex signature`, { field });
  }
  try {
    const address = await recoverTypedDataAddress({
      ...approvalTypedData(chainId, decision, content),
      signature: signature as Hex,
    });
    return address.toLowerCase();
  } catch {
    throw new InvalidInputError(`${field}: not a valid secp256k1 signature`, { field });
  }
}
