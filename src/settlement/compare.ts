/**
 * Byte-for-byte comparison of a settlement with the one its checker rebuilt, naming the first
 * difference the way an operator reads it ("output 2 pays 999 sats, expected 1000").
 */
import type { Transaction } from 'bitcoinjs-lib';
import { hex, inputOutpoint } from './custody-types/keys.ts';

/** null when the unsigned transactions are identical, else the first difference. */
export function firstDifference(actual: Transaction, expected: Transaction): string | null {
  if (actual.version !== expected.version) {
    return `version is ${actual.version}, expected ${expected.version}`;
  }
  return (
    compareInputs(actual, expected) ??
    compareOutputs(actual, expected) ??
    (actual.locktime !== expected.locktime
      ? `locktime is ${actual.locktime}, expected ${expected.locktime}`
      : null) ??
    compareBytes(actual, expected)
  );
}

function compareInputs(actual: Transaction, expected: Transaction): string | null {
  const n = Math.min(actual.ins.length, expected.ins.length);
  for (let i = 0; i < n; i++) {
    const a = actual.ins[i];
    const e = expected.ins[i];
    if (a === undefined || e === undefined) break;
    const ao = inputOutpoint(a);
    const eo = inputOutpoint(e);
    if (ao !== eo) return `input ${i} spends ${ao}, expected ${eo}`;
    if (a.sequence !== e.sequence) {
      return `input ${i} has sequence ${hexNumber(a.sequence)}, expected ${hexNumber(e.sequence)}`;
    }
  }
  if (actual.ins.length !== expected.ins.length) {
    return `${actual.ins.length} inputs, expected ${expected.ins.length}`;
  }
  return null;
}

function compareOutputs(actual: Transaction, expected: Transaction): string | null {
  const n = Math.min(actual.outs.length, expected.outs.length);
  for (let i = 0; i < n; i++) {
    const a = actual.outs[i];
    const e = expected.outs[i];
    if (a === undefined || e === undefined) break;
    if (hex(a.script) !== hex(e.script)) {
      return `output ${i} pays script ${hex(a.script)}, expected ${hex(e.script)}`;
    }
    if (a.value !== e.value) return `output ${i} pays ${a.value} sats, expected ${e.value}`;
  }
  if (actual.outs.length !== expected.outs.length) {
    return `${actual.outs.length} outputs, expected ${expected.outs.length}`;
  }
  return null;
}

/** A last guard: fields this file does not name (scriptSigs of an unsigned tx) still count. */
function compareBytes(actual: Transaction, expected: Transaction): string | null {
  const a = hex(stripped(actual));
  const e = hex(stripped(expected));
  return a === e ? null : 'the serialised transactions differ';
}

function stripped(tx: Transaction): Uint8Array {
  const copy = tx.clone();
  copy.stripWitnesses();
  return copy.toBuffer();
}

function hexNumber(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
