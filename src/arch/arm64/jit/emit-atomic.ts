// Exclusives, LSE atomics and CLREX as WebAssembly, with exactly the interpreter's
// semantics (exec/atomic.ts): one vCPU runs at a time, so acquire/release are plain
// accesses and a read-modify-write is a load and a store. The exclusive monitor lives
// in the CPU block (gen.ts CB_EXCL, monitor.ts), shared with the interpreter: LDXR
// marks it with the address, size and value read; STXR succeeds only if it covers the
// same address and size and memory still holds that value (another vCPU's store in
// between is seen by the value, as QEMU's monitor does); STXR, CLREX, exception entry
// and return clear it.
//
// Every access must be naturally aligned (an alignment fault otherwise, whatever
// SCTLR.A says): the TLB-mirror probe keeps the size's low bits, so a misaligned
// address never hits and the unit bails before the instruction, as it does on a
// mirror miss or an SP that is not 16-byte aligned. The interpreter then runs it with
// every check. A read-modify-write probes both mirrors (the interpreter checks write
// permission, then reads): it loads through the read entry and stores through the
// write entry, as the interpreter's readAligned and writeAligned would.

import { W } from "./wasm-emit.js";
import {
  P,
  CB_EXCL,
  EXCL_ADDR,
  EXCL_SIZE,
  EXCL_VAL,
  EXCL_VAL2,
  EXCL_VALID,
  type Gen,
} from "./gen.js";
import { probe, spCheck } from "./emit-mem.js";

const CLREX = 129;
const STXR = 202;
const LDXR = 203;
const STXP = 204;
const LDXP = 205;
const CAS = 208;
const CASP = 209;
const LSE = 210;
const SWP = 211;

const LOAD = [W.i64Load8U, W.i64Load16U, W.i64Load32U, W.i64Load];
const STORE = [W.i64Store8, W.i64Store16, W.i64Store32, W.i64Store];
const EXTEND_S = [W.i64Extend8S, W.i64Extend16S, W.i64Extend32S];

export function atomicSupported(op: number, insn: number): boolean {
  switch (op) {
    case CLREX:
    case STXR:
    case LDXR:
    case STXP:
    case LDXP:
    case CAS:
    case LSE:
    case SWP:
      return true;
    case CASP:
      // Odd Rs or Rt is UNDEFINED: the call-out raises it.
      return (((insn >>> 16) | insn) & 1) === 0;
    default:
      return false;
  }
}

export function emitAtomic(g: Gen, op: number, insn: number, bail: () => void): void {
  if (op === CLREX) {
    setValid(g, 0);
    return;
  }
  const rn = (insn >>> 5) & 31;
  spCheck(g, rn, bail);
  g.xsp(rn);
  g.set(g.ta);
  switch (op) {
    case LDXR:
      return emitLoadExclusive(g, insn, bail);
    case LDXP:
      return emitLoadExclusivePair(g, insn, bail);
    case STXR:
    case STXP:
      return emitStoreExclusive(g, op === STXP, insn, bail);
    case CAS:
      return emitCas(g, insn, bail);
    case CASP:
      return emitCasp(g, insn, bail);
    default:
      return emitRmw(g, op === SWP, insn, bail);
  }
}

function setValid(g: Gen, v: number): void {
  g.get(P.CB);
  g.i32(v);
  g.mem(W.i32Store, 2, CB_EXCL + EXCL_VALID);
}

/**
 * The read and write mirrors' host addresses of the aligned access of `bytes` at
 * `g.ta`: read in `g.ib`, write in `g.host`; bails if either misses.
 */
function probeRmw(g: Gen, bytes: number, bail: () => void): void {
  probe(g, P.RTLB, -4096 | (bytes - 1), -1, bail);
  g.get(g.host);
  g.set(g.ib);
  probe(g, P.WTLB, -4096 | (bytes - 1), -1, bail);
}

/** Arms the monitor for `bytes` at `g.ta` with the value in `val` (and `val2`, else 0). */
function mark(g: Gen, bytes: number, val: number, val2?: number): void {
  setValid(g, 1);
  g.get(P.CB);
  g.i32(bytes);
  g.mem(W.i32Store, 2, CB_EXCL + EXCL_SIZE);
  g.get(P.CB);
  g.get(g.ta);
  g.mem(W.i64Store, 3, CB_EXCL + EXCL_ADDR);
  g.get(P.CB);
  g.get(val);
  g.mem(W.i64Store, 3, CB_EXCL + EXCL_VAL);
  g.get(P.CB);
  if (val2 === undefined) g.i64(0, 0);
  else g.get(val2);
  g.mem(W.i64Store, 3, CB_EXCL + EXCL_VAL2);
}

/** LDXR, LDAXR (all sizes): the value zero-extended, the monitor armed. */
function emitLoadExclusive(g: Gen, insn: number, bail: () => void): void {
  const size = insn >>> 30;
  probe(g, P.RTLB, -4096 | ((1 << size) - 1), -1, bail);
  g.get(g.host);
  g.mem(LOAD[size]!, 0, 0);
  g.set(g.tc);
  mark(g, 1 << size, g.tc);
  g.get(g.tc);
  g.setX(insn & 31);
}

/**
 * LDXP, LDAXP: two words from one aligned doubleword (the monitor holds it as one
 * 8-byte value), or two doublewords from an aligned quadword (16 bytes, two values).
 * Rt is written before Rt2, as the interpreter does.
 */
function emitLoadExclusivePair(g: Gen, insn: number, bail: () => void): void {
  const rt = insn & 31;
  const rt2 = (insn >>> 10) & 31;
  if (insn >>> 30 === 2) {
    probe(g, P.RTLB, -4096 | 7, -1, bail);
    g.get(g.host);
    g.mem(W.i64Load, 0, 0);
    g.set(g.tc);
    mark(g, 8, g.tc);
    splitWords(g, g.tc, rt, rt2);
    return;
  }
  probe(g, P.RTLB, -4096 | 15, -1, bail);
  g.get(g.host);
  g.mem(W.i64Load, 0, 0);
  g.set(g.tc);
  g.get(g.host);
  g.mem(W.i64Load, 0, 8);
  g.set(g.td);
  mark(g, 16, g.tc, g.td);
  g.get(g.tc);
  g.setX(rt);
  g.get(g.td);
  g.setX(rt2);
}

/**
 * STXR, STLXR, STXP, STLXP. When the monitor does not cover this address and size the
 * store fails without touching memory (Rs = 1), unless the address is misaligned
 * (an alignment fault: bail). When it does, memory must still hold the value(s) the
 * load-exclusive read; the store happens only then. Either way the monitor is cleared.
 */
function emitStoreExclusive(g: Gen, pair: boolean, insn: number, bail: () => void): void {
  const rs = (insn >>> 16) & 31;
  const rt = insn & 31;
  const rt2 = (insn >>> 10) & 31;
  const size = insn >>> 30;
  const bytes = pair ? (size === 2 ? 8 : 16) : 1 << size;
  // Pairs check their alignment before the monitor; single registers only on a miss.
  // Either way a misaligned address faults, and a covered address is aligned (the
  // load-exclusive checked it): so a misaligned address always bails.
  if (bytes > 1) {
    g.get(g.ta);
    g.op(W.i32WrapI64);
    g.i32(bytes - 1);
    g.op(W.i32And);
    g.if_();
    bail();
    g.end();
  }
  // Covered: armed, same size, same address.
  g.get(P.CB);
  g.mem(W.i32Load, 2, CB_EXCL + EXCL_VALID);
  g.get(P.CB);
  g.mem(W.i32Load, 2, CB_EXCL + EXCL_SIZE);
  g.i32(bytes);
  g.op(W.i32Eq, W.i32And);
  g.get(P.CB);
  g.mem(W.i64Load, 3, CB_EXCL + EXCL_ADDR);
  g.get(g.ta);
  g.op(W.i64Eq, W.i32And);
  g.if_();
  probeRmw(g, Math.min(bytes, 8), bail);
  // Memory still holds what the load-exclusive read: g.ic = 1.
  // (A pair's first value is one doubleword: both words, or the first doubleword.)
  g.get(g.ib);
  g.mem(LOAD[pair ? 3 : size]!, 0, 0);
  g.get(P.CB);
  g.mem(W.i64Load, 3, CB_EXCL + EXCL_VAL);
  g.op(W.i64Eq);
  if (bytes === 16) {
    g.get(g.ib);
    g.mem(W.i64Load, 0, 8);
    g.get(P.CB);
    g.mem(W.i64Load, 3, CB_EXCL + EXCL_VAL2);
    g.op(W.i64Eq, W.i32And);
  }
  g.tee(g.ic);
  g.if_();
  storeExclusive(g, pair, size, rt, rt2);
  g.end();
  g.else_();
  g.i32(0);
  g.set(g.ic);
  g.end();
  setValid(g, 0);
  // Rs = 0 on success, 1 on failure.
  g.get(g.ic);
  g.i32(1);
  g.op(W.i32Xor, W.i64ExtendI32U);
  g.setX(rs);
}

function storeExclusive(g: Gen, pair: boolean, size: number, rt: number, rt2: number): void {
  if (!pair) {
    g.get(g.host);
    g.x(rt);
    g.mem(STORE[size]!, 0, 0);
    return;
  }
  if (size === 2) {
    // Wt in the low word, Wt2 in the high word.
    g.get(g.host);
    g.x(rt);
    g.i64(-1, 0);
    g.op(W.i64And);
    g.x(rt2);
    g.i64(32, 0);
    g.op(W.i64Shl, W.i64Or);
    g.mem(W.i64Store, 0, 0);
    return;
  }
  g.get(g.host);
  g.x(rt);
  g.mem(W.i64Store, 0, 0);
  g.get(g.host);
  g.x(rt2);
  g.mem(W.i64Store, 0, 8);
}

/** CAS, CASA, CASL, CASAL (all sizes): Rs = the old value; Rt stored if it equalled Rs. */
function emitCas(g: Gen, insn: number, bail: () => void): void {
  const size = insn >>> 30;
  const rs = (insn >>> 16) & 31;
  probeRmw(g, 1 << size, bail);
  g.get(g.ib);
  g.mem(LOAD[size]!, 0, 0);
  g.tee(g.tc);
  g.x(rs);
  if (size < 3) {
    g.i64(size === 2 ? -1 : (1 << (8 << size)) - 1, 0);
    g.op(W.i64And);
  }
  g.op(W.i64Eq);
  g.if_();
  g.get(g.host);
  g.x(insn & 31);
  g.mem(STORE[size]!, 0, 0);
  g.end();
  g.get(g.tc);
  g.setX(rs);
}

/**
 * CASP and its acquire/release forms on an even register pair: two words compared
 * and swapped as one aligned doubleword, or two doublewords as one aligned quadword.
 * Rs+1 is written too (XZR when Rs is 30).
 */
function emitCasp(g: Gen, insn: number, bail: () => void): void {
  const rs = (insn >>> 16) & 31;
  const rt = insn & 31;
  if ((insn & 0x40000000) === 0) {
    probeRmw(g, 8, bail);
    g.get(g.ib);
    g.mem(W.i64Load, 0, 0);
    g.tee(g.tc);
    pairWords(g, rs);
    g.op(W.i64Eq);
    g.if_();
    g.get(g.host);
    pairWords(g, rt);
    g.mem(W.i64Store, 0, 0);
    g.end();
    splitWords(g, g.tc, rs, rs + 1);
    return;
  }
  probeRmw(g, 16, bail);
  g.get(g.ib);
  g.mem(W.i64Load, 0, 0);
  g.tee(g.tc);
  g.x(rs);
  g.op(W.i64Eq);
  g.get(g.ib);
  g.mem(W.i64Load, 0, 8);
  g.tee(g.td);
  g.x(rs + 1);
  g.op(W.i64Eq, W.i32And);
  g.if_();
  g.get(g.host);
  g.x(rt);
  g.mem(W.i64Store, 0, 0);
  g.get(g.host);
  g.x(rt + 1);
  g.mem(W.i64Store, 0, 8);
  g.end();
  g.get(g.tc);
  g.setX(rs);
  g.get(g.td);
  g.setX(rs + 1);
}

/** The 64-bit `local` as two words: the low one into `lo`, the high one into `hi` (W regs). */
function splitWords(g: Gen, local: number, lo: number, hi: number): void {
  g.get(local);
  g.i64(-1, 0);
  g.op(W.i64And);
  g.setX(lo);
  g.get(local);
  g.i64(32, 0);
  g.op(W.i64ShrU);
  g.setX(hi);
}

/** Pushes W(r) | W(r + 1) << 32 (a CASP word pair as one doubleword). */
function pairWords(g: Gen, r: number): void {
  g.x(r);
  g.i64(-1, 0);
  g.op(W.i64And);
  g.x(r + 1);
  g.i64(32, 0);
  g.op(W.i64Shl, W.i64Or);
}

/**
 * LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN and SWP, with their
 * acquire/release forms and the ST* aliases (Rt = XZR): memory = op(old, Rs) in the
 * access size, Rt = old zero-extended.
 */
function emitRmw(g: Gen, swap: boolean, insn: number, bail: () => void): void {
  const size = insn >>> 30;
  const rs = (insn >>> 16) & 31;
  const opc = (insn >>> 12) & 7;
  probeRmw(g, 1 << size, bail);
  g.get(g.ib);
  g.mem(LOAD[size]!, 0, 0);
  g.set(g.tc);
  g.get(g.host);
  if (swap) g.x(rs);
  else if (opc < 4) {
    g.get(g.tc);
    g.x(rs);
    if (opc === 1) {
      g.i64(-1, -1);
      g.op(W.i64Xor);
    }
    g.op([W.i64Add, W.i64And, W.i64Xor, W.i64Or][opc]!);
  } else {
    // Max/min: compare the values as `size`-byte signed (opc 4, 5) or unsigned numbers.
    const signed = opc < 6;
    g.get(g.tc);
    g.x(rs);
    g.get(g.tc);
    if (signed && size < 3) g.op(EXTEND_S[size]!);
    g.x(rs);
    if (size < 3) {
      if (signed) g.op(EXTEND_S[size]!);
      else {
        g.i64(size === 2 ? -1 : (1 << (8 << size)) - 1, 0);
        g.op(W.i64And);
      }
    }
    const max = opc === 4 || opc === 6;
    g.op(max ? (signed ? W.i64GeS : W.i64GeU) : signed ? W.i64LeS : W.i64LeU);
    g.op(W.select);
  }
  g.mem(STORE[size]!, 0, 0);
  g.get(g.tc);
  g.setX(insn & 31);
}
