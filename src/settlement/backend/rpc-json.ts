/**
 * Exact amounts from Bitcoin Core's JSON. The node prints amounts as JSON numbers with eight
 * decimals ("amount": 1.23456789); JSON.parse would turn them into binary floats. We parse the
 * response text with every non-integer number kept as its decimal text, then convert that text
 * to satoshis with integer arithmetic only.
 */
import { InvalidInputError } from '../../shared/errors.ts';

/**
 * JSON.parse, except that numbers with a fraction or an exponent arrive as strings holding
 * their exact source text. Integers (heights, confirmations, vout) stay numbers.
 */
export function parseJsonKeepingDecimals(text: string): unknown {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      i++;
      while (i < n && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      let j = i + 1;
      let decimal = false;
      for (; j < n; j++) {
        const c = text[j]!;
        if (c === '.' || c === 'e' || c === 'E') decimal = true;
        else if (!(c === '+' || c === '-' || (c >= '0' && c <= '9'))) break;
      }
      if (decimal) {
        parts.push(text.slice(start, i), '"', text.slice(i, j), '"');
        start = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  parts.push(text.slice(start));
  return JSON.parse(parts.join(''));
}

const DECIMAL = /^(\d+)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
const COIN_DECIMALS = 8;

/**
 * A coin amount (BTC or LTC, as the node writes it) to satoshis, exactly. Refuses negative
 * amounts and amounts finer than one satoshi instead of rounding them.
 */
export function coinsToSats(value: unknown, field: string): bigint {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  const m = typeof text === 'string' ? DECIMAL.exec(text) : null;
  if (m === null) {
    throw new InvalidInputError(`${field}: expected a non-negative decimal amount`, { field });
  }
  const whole = m[1]!;
  const fraction = m[2] ?? '';
  const exponent = Number(m[3] ?? '0') - fraction.length + COIN_DECIMALS;
  // Litecoin's 84 million coins are 8.4e15 sats: anything near 1e30 is not an amount (and a
  // huge exponent must not make us compute 10^n for a giant n).
  if (whole.length + fraction.length > 40 || exponent > 30 || exponent < -40) {
    throw new InvalidInputError(`${field}: ${text} is out of range`, { field });
  }
  let digits = BigInt(whole + fraction);
  if (exponent >= 0) return digits * 10n ** BigInt(exponent);
  const divisor = 10n ** BigInt(-exponent);
  if (digits % divisor !== 0n) {
    throw new InvalidInputError(`${field}: ${text} is not a whole number of satoshis`, { field });
  }
  digits /= divisor;
  return digits;
}
