/** Numbers with their units, and addresses, as the page shows them. */
import { getAddress } from 'viem';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** The coin the network counts in (Litecoin's regtest is a Bitcoin-Core-family test chain). */
export function coinOf(network: string): string {
  return network.startsWith('litecoin') ? 'LTC' : 'BTC';
}

export function sats(value: string | bigint | null | undefined, coin: string): string {
  if (value === null || value === undefined) return '—';
  const v = BigInt(value);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = abs / 100_000_000n;
  const frac = (abs % 100_000_000n).toString().padStart(8, '0');
  return `${neg ? '−' : ''}${whole}.${frac} ${coin} (${neg ? '−' : ''}${int.format(abs)} sats)`;
}

/** `n` with its unit, given in the plural ("1 withdrawal", "2 withdrawals"). */
export function count(n: number, unit: string): string {
  const one = n === 1 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
  return `${int.format(n)} ${one}`;
}

export function gas(quantity: string | null): string {
  return quantity === null ? '—' : `${int.format(BigInt(quantity))} gas`;
}

export function ms(value: number | null): string {
  return value === null ? '—' : `${int.format(value)} ms`;
}

export function seconds(value: number | null): string {
  return value === null ? '—' : `${dec1.format(value)} s`;
}

export function speedUp(b: { executionMs: number | null; sequentialEstimateMs: number | null }) {
  if (b.executionMs === null || b.sequentialEstimateMs === null) return '—';
  return `×${dec1.format(b.sequentialEstimateMs / b.executionMs)}`;
}

export function txPerSecond(txCount: number, elapsedMs: number | null): number | null {
  return elapsedMs === null || elapsedMs <= 0 ? null : (txCount * 1000) / elapsedMs;
}

export function rate(value: number | null, unit: string): string {
  return value === null ? '—' : `${int.format(value)} ${unit}`;
}

export function feeRate(value: string | null): string {
  return value === null ? '—' : `${value} sat/vB`;
}

export function short(hex: string | null, keep = 10): string {
  if (hex === null) return '—';
  return hex.length <= keep * 2 + 1 ? hex : `${hex.slice(0, keep)}…${hex.slice(-keep + 2)}`;
}

export function time(iso: string | null): string {
  return iso === null ? '—' : new Date(iso).toLocaleString();
}

/** An Ethereum address as wallets show it (EIP-55 mixed-case checksum). */
export function ethAddress(address: string): string {
  try {
    return getAddress(address);
  } catch {
    return address;
  }
}
