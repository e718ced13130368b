// Integer loads and stores as WebAssembly with the TLB fast path inline: the unit
// probes the TLB mirror (mmu/memory.ts keeps it in the arena: per entry an i64 tag,
// the page's offset in the wasm memory and its Device flag). A miss asks the helper to
// fill the entry (tlb-fill.ts) and goes on when it may; on a miss it declines, a
// page-crossing access, a misaligned access where it faults (SCTLR.A set, or a Device
// page: mmu/memory.ts lookup), or an SP alignment question, it leaves through `bail`
// before changing any state, so the interpreter runs the instruction with every check
// and fault (precise exceptions for free). Misaligned accesses to Normal memory run
// here: the kernel's memcpy makes them (on the Linux boot they were 271 K of the 612 K
// exits to the interpreter). Mirrors interp.ts's LDR/STR and LDP/STP cases.

import { W } from "./wasm-emit.js";
import { P, CB_ALIGNOK, type Gen } from "./gen.js";
import { emitFill, type FillAccess } from "./tlb-fill.js";

const LOAD = [W.i64Load8U, W.i64Load16U, W.i64Load32U, W.i64Load];
const LOAD_SIGNED = [W.i64Load8S, W.i64Load16S, W.i64Load32S];
const STORE = [W.i64Store8, W.i64Store16, W.i64Store32, W.i64Store];

/**
 * The sign-extending loads (exec/ldst.ts loadSigned), by op: the op of the zero-extending
 * load with the same addressing form (35 unsigned offset, 39 9-bit, 41 register), and
 * whether the result is 32 bits (LDRSB/LDRSH Wt) rather than 64.
 */
const SIGNED: ReadonlyMap<number, readonly [number, boolean]> = new Map([
  [192, [35, false]],
  [193, [35, true]],
  [195, [39, false]],
  [196, [39, true]],
  [197, [41, false]],
  [198, [41, true]],
]);
const STLR = 206;
const LDAR = 207;
const LDAPR = 212;

/**
 * PRFM (unsigned offset, register) and PRFUM: no architectural effect (exec/ldst.ts;
 * the register form still checks SP alignment: the caller's spCheck).
 */
function isPrefetch(op: number, insn: number): boolean {
  return insn >>> 30 === 3 && (op === 192 || op === 195 || op === 197);
}

export function memSupported(op: number, insn: number): boolean {
  const signed = SIGNED.get(op);
  if (signed !== undefined) {
    const size = insn >>> 30;
    // Reserved sizes (UNDEFINED) and the undefined prefetch forms call out.
    if (signed[1] && size >= 2) return false;
    if (size === 3) {
      if (op === 195) return ((insn >>> 10) & 3) === 0;
      return op === 192 || ((insn >>> 13) & 2) !== 0;
    }
    return memSupported(signed[0], insn);
  }
  switch (op) {
    case STLR:
    case LDAR:
    case LDAPR:
      return true;
    case 35:
    case 36:
      return true;
    case 39:
    case 40:
      return ((insn >>> 10) & 3) !== 2; // LDTR/STTR: the interpreter
    case 41:
    case 42:
      return ((insn >>> 13) & 7 & 2) !== 0;
    case 37:
    case 38: {
      const opc = insn >>> 30;
      return opc === 0 || opc === 2;
    }
    default:
      return false;
  }
}

/**
 * Pushes the tag of the TLB mirror's entry for the address in `g.ta` (1,024 entries of
 * 16 bytes indexed by VA bits 12-21) and leaves `g.ia` = the entry's address, whose
 * +8 holds the page's arena offset.
 */
export function mirrorTag(g: Gen, tlb: number): void {
  g.get(tlb);
  g.get(g.ta);
  g.op(W.i32WrapI64);
  g.i32(12);
  g.op(W.i32ShrU);
  g.i32(1023);
  g.op(W.i32And);
  g.i32(4);
  g.op(W.i32Shl, W.i32Add);
  g.tee(g.ia);
  g.mem(W.i64Load, 3, 0);
}

/**
 * Leaves `g.host` = the wasm address of the access at the address in `g.ta`, or
 * bails. `mask` keeps the size's low bits in the compare (misaligned never hits);
 * `limit`, if set, also bails when the page offset exceeds it (pairs). With `fill`, a
 * failed compare first asks the helper to fill the entry (tlb-fill.ts).
 */
export function probe(
  g: Gen,
  tlb: number,
  mask: number,
  limit: number,
  bail: () => void,
  fill?: FillAccess,
): void {
  mirrorTag(g, tlb);
  g.get(g.ta);
  g.i64(mask, -1);
  g.op(W.i64And, W.i64Ne);
  if (limit >= 0) {
    g.get(g.ta);
    g.op(W.i32WrapI64);
    g.i32(0xfff);
    g.op(W.i32And);
    g.i32(limit);
    g.op(W.i32GtU, W.i32Or);
  }
  g.if_();
  if (fill === undefined) bail();
  else emitFill(g, fill, bail);
  g.end();
  g.get(g.ia);
  g.mem(W.i32Load, 2, 8);
  g.get(g.ta);
  g.op(W.i32WrapI64);
  g.i32(0xfff);
  g.op(W.i32And, W.i32Add);
  g.set(g.host);
}

/**
 * Leaves `g.host` = the wasm address of the access of `bytes` (`span` in all: pairs) at
 * `g.ta`, or bails. The aligned, in-page case costs one compare as in `probe`; a
 * mismatch then bails on a TLB-mirror miss, on a page crossing, or, being misaligned,
 * where the access would fault: a Device page (the mirror's flag) or SCTLR.A set
 * (`CB_ALIGNOK` clear); but where it would bail it first asks the helper to fill the
 * entry (tlb-fill.ts), which answers for the whole access. Sets `g.ib` to the page
 * offset.
 */
export function probeUnaligned(
  g: Gen,
  tlb: number,
  bytes: number,
  span: number,
  bail: () => void,
): void {
  mirrorTag(g, tlb);
  g.set(g.tc);
  g.get(g.ta);
  g.op(W.i32WrapI64);
  g.i32(0xfff);
  g.op(W.i32And);
  g.set(g.ib);
  // The fast case: the tag matches with the size's low bits clear, within the page.
  g.get(g.ta);
  g.i64(-4096 | (bytes - 1), -1);
  g.op(W.i64And);
  g.get(g.tc);
  g.op(W.i64Ne);
  if (span > bytes) {
    g.get(g.ib);
    g.i32(4096 - span);
    g.op(W.i32GtU, W.i32Or);
  }
  g.if_();
  // Not aligned (or a miss): the page tag, the page end, then may it be misaligned?
  g.get(g.ta);
  g.i64(-4096, -1);
  g.op(W.i64And);
  g.get(g.tc);
  g.op(W.i64Ne);
  g.get(g.ib);
  g.i32(4096 - span);
  g.op(W.i32GtU, W.i32Or);
  g.get(g.ia);
  g.mem(W.i32Load, 2, 12);
  g.op(W.i32Or);
  g.get(P.CB);
  g.mem(W.i32Load, 2, CB_ALIGNOK);
  g.op(W.i32Eqz, W.i32Or);
  g.if_();
  emitFill(g, { write: tlb === P.WTLB, bytes, span, strict: false }, bail);
  g.end();
  g.end();
  g.get(g.ia);
  g.mem(W.i32Load, 2, 8);
  g.get(g.ib);
  g.op(W.i32Add);
  g.set(g.host);
}

/** SP-based accesses: bail unless SP is 16-byte aligned (the interpreter checks SCTLR.SA). */
export function spCheck(g: Gen, rn: number, bail: () => void): void {
  if (rn !== 31) return;
  g.wsp(31);
  g.i32(15);
  g.op(W.i32And);
  g.if_();
  bail();
  g.end();
}

export function emitMem(g: Gen, op: number, insn: number, bail: () => void): void {
  const rt = insn & 31;
  const rn = (insn >>> 5) & 31;
  if (op === 37 || op === 38) {
    emitPair(g, op === 37, insn, rt, rn, bail);
    return;
  }
  if (isPrefetch(op, insn)) {
    if (op === 197) spCheck(g, rn, bail);
    return;
  }
  if (op === STLR || op === LDAR || op === LDAPR) {
    emitOrdered(g, op === STLR, insn, rt, rn, bail);
    return;
  }
  const signed = SIGNED.get(op);
  const form = signed === undefined ? op : signed[0];
  emitSingle(g, form, signed?.[1], insn, rt, rn, bail);
}

/**
 * LDR/STR (and, with `to32` set, the sign-extending loads: true for a W result, false
 * for X) in the addressing form of op `form` (35/36 unsigned offset, 39/40 9-bit
 * unscaled or indexed, 41/42 register).
 */
function emitSingle(
  g: Gen,
  form: number,
  to32: boolean | undefined,
  insn: number,
  rt: number,
  rn: number,
  bail: () => void,
): void {
  const op = form;
  const size = insn >>> 30;
  const load = op === 35 || op === 39 || op === 41;
  let writeback = false;
  if (op <= 36) {
    g.xsp(rn);
    g.i64((((insn >>> 10) & 0xfff) << size) >>> 0, 0);
    g.op(W.i64Add);
    g.set(g.ta);
  } else if (op <= 40) {
    const mode = (insn >>> 10) & 3;
    const imm = (insn << 11) >> 23;
    g.xsp(rn);
    g.i64(imm, imm < 0 ? -1 : 0);
    g.op(W.i64Add);
    g.set(g.tb); // the written-back base
    writeback = mode !== 0;
    if (mode === 1) g.xsp(rn);
    else g.get(g.tb);
    g.set(g.ta);
  } else {
    const option = (insn >>> 13) & 7;
    const rm = (insn >>> 16) & 31;
    g.xsp(rn);
    if (option === 3 || option === 7) g.x(rm);
    else {
      g.w(rm);
      g.op(option === 6 ? W.i64ExtendI32S : W.i64ExtendI32U);
    }
    if ((insn & 0x1000) !== 0 && size !== 0) {
      g.i64(size, 0);
      g.op(W.i64Shl);
    }
    g.op(W.i64Add);
    g.set(g.ta);
  }
  spCheck(g, rn, bail);
  probeUnaligned(g, load ? P.RTLB : P.WTLB, 1 << size, 1 << size, bail);
  g.get(g.host);
  if (to32 !== undefined) {
    // As exec/ldst.ts loadSigned: the base is written back before Rt (Rt wins).
    g.mem(LOAD_SIGNED[size]!, 0, 0);
    if (to32) {
      g.i64(-1, 0);
      g.op(W.i64And);
    }
    g.set(g.tc);
    if (writeback) {
      g.get(g.tb);
      g.setXsp(rn);
    }
    g.get(g.tc);
    g.setX(rt);
    return;
  }
  // As interp.ts: Rt, then the written-back base (the base wins).
  if (load) {
    g.mem(LOAD[size]!, 0, 0);
    g.setX(rt);
  } else {
    g.x(rt);
    g.mem(STORE[size]!, 0, 0);
  }
  if (writeback) {
    g.get(g.tb);
    g.setXsp(rn);
  }
}

function emitPair(
  g: Gen,
  load: boolean,
  insn: number,
  rt: number,
  rn: number,
  bail: () => void,
): void {
  const mode = (insn >>> 23) & 3;
  const scale = insn >>> 30 === 2 ? 3 : 2;
  const step = 1 << scale;
  const rt2 = (insn >>> 10) & 31;
  spCheck(g, rn, bail);
  const imm = ((insn << 10) >> 25) << scale;
  g.xsp(rn);
  g.i64(imm, imm < 0 ? -1 : 0);
  g.op(W.i64Add);
  g.set(g.tb);
  if (mode === 1) g.xsp(rn);
  else g.get(g.tb);
  g.set(g.ta);
  probeUnaligned(g, load ? P.RTLB : P.WTLB, step, 2 * step, bail);
  const ld = scale === 3 ? W.i64Load : W.i64Load32U;
  const st = scale === 3 ? W.i64Store : W.i64Store32;
  if (load) {
    g.get(g.host);
    g.mem(ld, 0, 0);
    g.set(g.tc);
    g.get(g.host);
    g.mem(ld, 0, step);
    g.set(g.td);
    g.get(g.tc);
    g.setX(rt);
    g.get(g.td);
    g.setX(rt2);
  } else {
    g.get(g.host);
    g.x(rt);
    g.mem(st, 0, 0);
    g.get(g.host);
    g.x(rt2);
    g.mem(st, 0, step);
  }
  if (mode === 1 || mode === 3) {
    g.get(g.tb);
    g.setXsp(rn);
  }
}

/**
 * STLR, LDAR, LDAPR (exec/atomic.ts): [Xn|SP], natural alignment required whatever
 * SCTLR.A says, so the probe keeps the size's low bits and a misaligned access bails;
 * ordering has no effect on one CPU's view. LDAR zero-extends.
 */
function emitOrdered(
  g: Gen,
  store: boolean,
  insn: number,
  rt: number,
  rn: number,
  bail: () => void,
): void {
  const size = insn >>> 30;
  spCheck(g, rn, bail);
  g.xsp(rn);
  g.set(g.ta);
  const bytes = 1 << size;
  const fill = { write: store, bytes, span: bytes, strict: true };
  probe(g, store ? P.WTLB : P.RTLB, -4096 | (bytes - 1), -1, bail, fill);
  g.get(g.host);
  if (store) {
    g.x(rt);
    g.mem(STORE[size]!, 0, 0);
  } else {
    g.mem(LOAD[size]!, 0, 0);
    g.setX(rt);
  }
}
