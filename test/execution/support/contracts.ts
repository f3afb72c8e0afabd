/**
 * Hand-assembled EVM contracts for differential tests and benchmarks. Calldata is raw 32-byte
 * words (no ABI) to keep the bytecode short enough to read:
 *   token   transfer(to, amount) = [to][amount]; balance slot = holder address; LOG3 Transfer
 *   pool    swap(amountIn) = [amountIn]; x*y=k on slots 0 (x) and 1 (y); LOG1 with amountOut
 *   counter slot 0 += 1 (any calldata)
 *   setter  slot [key] = [value]: calldata [key][value] (value 0 clears, with refund)
 *   factory CREATE2 with calldata [salt][initcode]
 *   reader  slot 0 = BALANCE(COINBASE), slot 1 = BALANCE(calldata[0])
 *   prober  slot 0 = EXTCODEHASH(calldata[0]), slot 1 = EXTCODESIZE(calldata[0])
 *   balancer slot 0 = BALANCE(calldata[0])
 *   destructor SELFDESTRUCT to the caller (a pre-existing contract: EIP-6780 keeps it)
 *   reverter, spinner (burns all gas)
 */

const OPS: Record<string, number> = {
  STOP: 0x00,
  ADD: 0x01,
  MUL: 0x02,
  SUB: 0x03,
  DIV: 0x04,
  LT: 0x10,
  GT: 0x11,
  EQ: 0x14,
  ISZERO: 0x15,
  AND: 0x16,
  CALLER: 0x33,
  CALLVALUE: 0x34,
  CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36,
  CALLDATACOPY: 0x37,
  CODECOPY: 0x39,
  EXTCODESIZE: 0x3b,
  EXTCODEHASH: 0x3f,
  BALANCE: 0x31,
  COINBASE: 0x41,
  SELFBALANCE: 0x47,
  POP: 0x50,
  MSTORE: 0x52,
  SLOAD: 0x54,
  SSTORE: 0x55,
  JUMP: 0x56,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  DUP1: 0x80,
  DUP2: 0x81,
  DUP3: 0x82,
  DUP4: 0x83,
  DUP5: 0x84,
  SWAP1: 0x90,
  LOG1: 0xa1,
  LOG3: 0xa3,
  CREATE: 0xf0,
  CALL: 0xf1,
  RETURN: 0xf3,
  CREATE2: 0xf5,
  REVERT: 0xfd,
  SELFDESTRUCT: 0xff,
};

/**
 * Tiny assembler: opcode names, `0x..` pushes (PUSHn chosen by length), `@label` (PUSH2 of
 * the label's offset) and `label:` (a JUMPDEST).
 */
export function asm(source: string): string {
  const tokens = source.split(/\s+/).filter((t) => t.length > 0);
  const labels = new Map<string, number>();
  const size = (t: string): number =>
    t.endsWith(':') ? 1 : t.startsWith('@') ? 3 : t.startsWith('0x') ? 1 + (t.length - 2) / 2 : 1;
  let pc = 0;
  for (const t of tokens) {
    if (t.endsWith(':')) labels.set(t.slice(0, -1), pc);
    pc += size(t);
  }
  let out = '';
  for (const t of tokens) {
    if (t.endsWith(':')) out += '5b';
    else if (t.startsWith('@')) {
      const at = labels.get(t.slice(1));
      if (at === undefined) throw new Error(`unknown label ${t}`);
      out += `61${at.toString(16).padStart(4, '0')}`;
    } else if (t.startsWith('0x')) {
      const hex = t.slice(2);
      if (hex.length % 2 !== 0 || hex.length === 0 || hex.length > 64)
        throw new Error(`bad push ${t}`);
      out += (0x5f + hex.length / 2).toString(16) + hex;
    } else {
      const op = OPS[t];
      if (op === undefined) throw new Error(`unknown opcode ${t}`);
      out += op.toString(16).padStart(2, '0');
    }
  }
  return `0x${out}`;
}

/** keccak256("Transfer(address,address,uint256)") */
export const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

export const TOKEN = asm(`
  0x20 CALLDATALOAD CALLER SLOAD DUP2 DUP2 LT @fail JUMPI
  SUB CALLER SSTORE
  0x00 CALLDATALOAD DUP1 SLOAD 0x20 CALLDATALOAD ADD SWAP1 SSTORE
  0x20 CALLDATALOAD 0x00 MSTORE
  0x00 CALLDATALOAD CALLER ${TRANSFER_TOPIC} 0x20 0x00 LOG3 STOP
  fail: 0x00 DUP1 REVERT`);

export const POOL = asm(`
  0x00 CALLDATALOAD 0x00 SLOAD 0x01 SLOAD
  DUP3 DUP3 ADD DUP1 0x00 SSTORE
  DUP2 DUP5 MUL DIV
  DUP1 0x00 MSTORE
  SWAP1 SUB 0x01 SSTORE POP POP
  0x5a 0x20 0x00 LOG1 STOP`);

export const COUNTER = asm('0x00 SLOAD 0x01 ADD 0x00 SSTORE STOP');

export const SETTER = asm('0x20 CALLDATALOAD 0x00 CALLDATALOAD SSTORE STOP');

export const FACTORY = asm(`
  0x20 CALLDATASIZE SUB DUP1 0x20 0x00 CALLDATACOPY
  0x00 CALLDATALOAD SWAP1 0x00 0x00 CREATE2 POP STOP`);

export const READER = asm(`
  COINBASE BALANCE 0x00 SSTORE
  0x00 CALLDATALOAD BALANCE 0x01 SSTORE STOP`);

export const PROBER = asm(`
  0x00 CALLDATALOAD EXTCODEHASH 0x00 SSTORE
  0x00 CALLDATALOAD EXTCODESIZE 0x01 SSTORE STOP`);

export const BALANCER = asm('0x00 CALLDATALOAD BALANCE 0x00 SSTORE STOP');

export const DESTRUCTOR = asm('CALLER SELFDESTRUCT');

export const REVERTER = asm('0x01 0x00 SSTORE 0x00 DUP1 REVERT');

export const SPINNER = asm('loop: @loop JUMP');

/** Init code that deploys `runtime` (CODECOPY of the tail, RETURN). */
export function initCode(runtime: string, prelude = ''): string {
  const body = runtime.slice(2);
  const len = body.length / 2;
  const lenHex = `0x${len.toString(16).padStart(4, '0')}`;
  // prelude runs first (e.g. storage writes), then the copy-and-return stub of fixed size
  const pre = prelude === '' ? '' : asm(prelude).slice(2);
  const stubSize = 3 + 3 + 2 + 1 + 3 + 2 + 1; // PUSH2 len, PUSH2 off, PUSH1 0, CODECOPY, PUSH2 len, PUSH1 0, RETURN
  const offset = pre.length / 2 + stubSize;
  const stub = asm(
    `${lenHex} 0x${offset.toString(16).padStart(4, '0')} 0x00 CODECOPY ${lenHex} 0x00 RETURN`,
  );
  return `0x${pre}${stub.slice(2)}${body}`;
}

/** Init code that writes a slot, then self-destructs in its own creation (EIP-6780 deletes it). */
export const SUICIDAL_INIT = asm('0x07 0x03 SSTORE CALLER SELFDESTRUCT');

export function word(value: bigint | string): string {
  const n = typeof value === 'string' ? BigInt(value) : value;
  return n.toString(16).padStart(64, '0');
}
