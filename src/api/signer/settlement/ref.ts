/**
 * What a signing request names besides the digest: the settlement it belongs to. The signer
 * derives the digest from this (the PSBT it checks, the input it signs) and signs only if the
 * request's digest is that one; a request without it is a raw message, which no signer signs.
 */
import { expectInteger, expectObject } from '../../../custody/wire-check.ts';
import { InvalidInputError } from '../../../shared/errors.ts';

export interface SettlementRef {
  /** The unsigned settlement transaction (base64 PSBT; signatures gathered so far may be in it). */
  psbt: string;
  /** The rollup batch the settlement commits. */
  batchNumber: number;
  /** The rate its first version was built at, sat/vB. */
  feeRateSatPerVb: number;
  /** The input this signature is for. */
  inputIndex: number;
  /** Treasurers' EIP-712 approvals of the settlement; a signer with treasurers checks them. */
  approvals?: { address: string; signature: string }[];
  /** The coordinator's settlement id the approvals name (part of what they sign). */
  approvalsFor?: string;
}

const MAX_APPROVALS = 100;

/** A settlement PSBT of 20 top-ups and 2,000 withdrawals is under 200 kB of base64. */
export const MAX_PSBT_CHARS = 1_000_000;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseSettlementRef(value: unknown, field: string): SettlementRef | undefined {
  if (value === undefined) return undefined;
  const o = expectObject(value, field);
  const psbt = o.psbt;
  if (typeof psbt !== 'string' || psbt.length > MAX_PSBT_CHARS || !BASE64.test(psbt)) {
    throw new InvalidInputError(
      `${field}.psbt: expected a base64 PSBT of at most ${MAX_PSBT_CHARS} characters`,
      {
        field: `${field}.psbt`,
      },
    );
  }
  const rate = o.feeRateSatPerVb;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 1_000_000) {
    throw new InvalidInputError(`${field}.feeRateSatPerVb: expected a positive number of sat/vB`, {
      field: `${field}.feeRateSatPerVb`,
    });
  }
  return {
    psbt,
    batchNumber: expectInteger(o.batchNumber, `${field}.batchNumber`, 1, 2 ** 31 - 1),
    feeRateSatPerVb: rate,
    inputIndex: expectInteger(o.inputIndex, `${field}.inputIndex`, 0, 10_000),
    ...(o.approvals === undefined
      ? {}
      : { approvals: parseApprovals(o.approvals, `${field}.approvals`) }),
    ...(o.approvalsFor === undefined
      ? {}
      : { approvalsFor: settlementIdOf(o.approvalsFor, `${field}.approvalsFor`) }),
  };
}

function settlementIdOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^stl_[0-9A-HJKMNP-TV-Z]{26}$/.test(value)) {
    throw new InvalidInputError(`${field}: expected a settlement id`, { field });
  }
  return value;
}

function parseApprovals(value: unknown, field: string): { address: string; signature: string }[] {
  if (!Array.isArray(value) || value.length > MAX_APPROVALS) {
    throw new InvalidInputError(`${field}: expected at most ${MAX_APPROVALS} approvals`, { field });
  }
  return value.map((v, i) => {
    const a = expectObject(v, `${field}.${i}`);
    if (typeof a.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(a.address)) {
      throw new InvalidInputError(`${field}.${i}.address: expected a 0x-hex address`, {
        field: `${field}.${i}.address`,
      });
    }
    if (typeof a.signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(a.signature)) {
      throw new InvalidInputError(`${field}.${i}.signature: expected a 65-byte 0x-hex signature`, {
        field: `${field}.${i}.signature`,
      });
    }
    return { address: a.address.toLowerCase(), signature: a.signature };
  });
}
