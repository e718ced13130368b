// The system instructions a unit runs without ending (measured on the Linux boot:
// these were most of the units' exits to the interpreter). Everything else of the
// system group still ends a unit, because it may change the EL, the translation
// regime or the interrupt masks, or read the guest clock.
//   - DC ZVA inline: the aligned 64-byte block is zeroed through the write TLB mirror;
//     a miss, a Device page (the mirror's flag), or EL0 without SCTLR_EL1.DZE (the
//     tier writes CB_ZVAOK per run) bails to the interpreter before anything is written.
//   - MRS of registers whose read has no side effect and does not depend on time
//     (SP_EL0, TPIDR_EL1, TPIDR_EL0, TPIDRRO_EL0, CTR_EL0, DCZID_EL0, DAIF, MIDR,
//     MPIDR): a call to the tier's helper, which declines whenever the read could trap
//     or fault (then the unit bails and the interpreter takes the exception), so only
//     Rt comes back. The frequent ones need no call (NATIVE_MRS): at EL1 SP_EL0 (copied
//     into the CPU block per run), TPIDR_EL1 (the register file is in the CPU block),
//     CTR_EL0 and DCZID_EL0 (constants; on the Linux boot these were 1.8 M of its 4.0 M
//     call-outs); at every EL TPIDR_EL0 and TPIDRRO_EL0.
//   - DC CVAU, DC CVAC, DC CIVAC, IC IVAU: no-ops at EL1 (sysops.ts: caches are not
//     modelled), inline; at EL0, where they may trap, the helper declines.
//   - DAIF writes at EL1 (MSR DAIFSet, DAIFClr, MSR DAIF, Xt): the helper writes
//     PSTATE.DAIF. The interpreter's execute() returns after each (irqCheck), so the run
//     loop publishes the instruction count, the guest clock (interp.ts runTiered), and
//     checks interrupts. The unit records that point (CB_SYNC: the tier publishes up
//     to it when the run returns) and goes on when no interrupt is now takeable; when
//     one is, it leaves right after the write (Exit.SYNC) and the run loop takes it at
//     the same instruction and count as the interpreter.

import {
  P,
  CB_SPEL0,
  CB_SYNC,
  CB_SYSHI,
  CB_SYSLO,
  CB_SYSOK,
  CB_ZVAOK,
  SYSOK_EL1,
  SYSOK_SPEL0,
  type Gen,
} from "./gen.js";
import { W } from "./wasm-emit.js";
import { probe } from "./emit-mem.js";
import { loadReg, storeReg } from "./emit-callout.js";
import { sysregKey } from "../port.js";
import { slotOf } from "../sysfile.js";
import { CTR_EL0_VALUE, DCZID_BS } from "../sysregs.js";

const MRS = 134;
const MSR_REG = 133;
const MSR_IMM = 131;
const SYS = 132;
/** sysHelper's answers (tier.ts): done, declined (bail), done and an interrupt is takeable. */
export const SYS_DONE = 0;
export const SYS_DECLINED = 2;
export const SYS_INTERRUPT = 4;
export const DAIF_KEY = sysregKey(3, 3, 4, 2, 1);

/** MRS keys the helper reads (tier.ts sysHelper): no side effects, no clock. */
export const MRS_KEYS: ReadonlySet<number> = new Set([
  sysregKey(3, 0, 4, 1, 0), // SP_EL0
  sysregKey(3, 0, 13, 0, 4), // TPIDR_EL1
  sysregKey(3, 3, 13, 0, 2), // TPIDR_EL0
  sysregKey(3, 3, 13, 0, 3), // TPIDRRO_EL0
  sysregKey(3, 3, 0, 0, 1), // CTR_EL0
  sysregKey(3, 3, 0, 0, 7), // DCZID_EL0
  sysregKey(3, 3, 4, 2, 1), // DAIF
  sysregKey(3, 0, 0, 0, 0), // MIDR_EL1
  sysregKey(3, 0, 0, 0, 5), // MPIDR_EL1
]);

/** How a NATIVE_MRS read is done: where the value is, or what it is. */
interface NativeMrs {
  /** The CB_SYSOK bits that allow it in a run (0: always allowed). */
  readonly ok: number;
  /** A CPU block offset holding it as i64. */
  readonly at?: number;
  /** A storage register's slot in the CPU block's register file (CB_SYSLO, CB_SYSHI). */
  readonly slot?: number;
  readonly value?: number;
  /** Whether the helper may do it where `ok` does not allow the native read. */
  readonly helper: boolean;
}

/**
 * MRS done without the helper, the most frequent (per-CPU data through SP_EL0 =
 * current and TPIDR_EL1 and cache geometry on the Linux boot, the thread pointer
 * TPIDR_EL0 in EL0 programs: 297 K helper calls in busybox awk's FP loop). At EL1
 * (CB_SYSOK): SP_EL0, TPIDR_EL1, CTR_EL0, DCZID_EL0; elsewhere SP_EL0 and TPIDR_EL1
 * bail (UNDEFINED at EL0 or with SPSel 0) and CTR_EL0 and DCZID_EL0 go to the helper
 * (readable at EL0 under SCTLR's rules). TPIDR_EL0 and TPIDRRO_EL0 are readable at
 * every EL (sysregs.ts El0.ALWAYS): always native, from the register file.
 */
const NATIVE_MRS: ReadonlyMap<number, NativeMrs> = new Map([
  [sysregKey(3, 0, 4, 1, 0), { ok: SYSOK_SPEL0, at: CB_SPEL0, helper: false }],
  [sysregKey(3, 0, 13, 0, 4), { ok: SYSOK_EL1, slot: slotOf("TPIDR_EL1"), helper: false }],
  [sysregKey(3, 3, 13, 0, 2), { ok: 0, slot: slotOf("TPIDR_EL0"), helper: false }],
  [sysregKey(3, 3, 13, 0, 3), { ok: 0, slot: slotOf("TPIDRRO_EL0"), helper: false }],
  [sysregKey(3, 3, 0, 0, 1), { ok: SYSOK_EL1, value: CTR_EL0_VALUE >>> 0, helper: true }],
  [sysregKey(3, 3, 0, 0, 7), { ok: SYSOK_EL1, value: DCZID_BS, helper: true }],
]);

/** A SYS encoding's op1, CRn, CRm, op2 (bits 18:5), as sysKey packs them. */
function sys(op1: number, crn: number, crm: number, op2: number): number {
  return (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

/** Cache maintenance the helper treats as no-ops: DC CVAU, DC CVAC, DC CIVAC, IC IVAU. */
const CACHE_NOPS: ReadonlySet<number> = new Set([
  sys(3, 7, 11, 1),
  sys(3, 7, 10, 1),
  sys(3, 7, 14, 1),
  sys(3, 7, 5, 1),
]);
const DC_ZVA = sys(3, 7, 4, 1);

/** The sysreg key of an MRS/MSR encoding. */
export function mrsKey(insn: number): number {
  return sysregKey(
    (insn >>> 19) & 3,
    (insn >>> 16) & 7,
    (insn >>> 12) & 15,
    (insn >>> 8) & 15,
    (insn >>> 5) & 7,
  );
}

/** The op1, CRn, CRm, op2 fields of a SYS encoding (bits 18:5). */
export function sysKey(insn: number): number {
  return (insn >>> 5) & 0x3fff;
}

export function isCacheNop(insn: number): boolean {
  return CACHE_NOPS.has(sysKey(insn));
}

/** MSR DAIFSet, MSR DAIFClr (op1 3, op2 6 or 7: exec/system.ts msrImmediate), MSR DAIF, Xt. */
export function isDaifWrite(op: number, insn: number): boolean {
  if (op === MSR_REG) return mrsKey(insn) === DAIF_KEY;
  if (op !== MSR_IMM) return false;
  const field = (((insn >>> 16) & 7) << 3) | ((insn >>> 5) & 7);
  return field === 0x1e || field === 0x1f;
}

export function sysSupported(op: number, insn: number): boolean {
  if (op === MRS) return MRS_KEYS.has(mrsKey(insn));
  if (op === SYS) return sysKey(insn) === DC_ZVA || isCacheNop(insn);
  return isDaifWrite(op, insn);
}

/** How a system instruction leaves its unit (compile.ts emitBlock). */
export interface SysExits {
  /** Before the instruction, for the interpreter (INTERPRET). */
  readonly bail: () => void;
  /** After it, with Exit.SYNC. */
  readonly sync: () => void;
  /** Instructions of the block after this one (not yet retired when it runs). */
  readonly rest: number;
}

export function emitSys(g: Gen, op: number, insn: number, pcOff: number, exits: SysExits): void {
  if (op === SYS && sysKey(insn) === DC_ZVA) {
    emitZva(g, insn & 31, exits.bail);
    return;
  }
  const rt = insn & 31;
  const native = op === MRS ? NATIVE_MRS.get(mrsKey(insn)) : undefined;
  if (native !== undefined || (op === SYS && isCacheNop(insn))) {
    emitNative(g, native, rt, () => {
      if (native === undefined || native.helper) {
        callHelper(g, op, insn, pcOff);
        afterHelper(g, op, exits.bail, rt);
      } else exits.bail();
    });
    return;
  }
  if (isDaifWrite(op, insn)) {
    if (op === MSR_REG && rt !== 31) storeReg(g, rt); // the helper reads Xt
    callHelper(g, op, insn, pcOff);
    emitDaifResult(g, exits);
    return;
  }
  callHelper(g, op, insn, pcOff);
  afterHelper(g, op, exits.bail, rt);
}

/**
 * A NATIVE_MRS read (`native`), or with none a cache maintenance no-op, when CB_SYSOK
 * allows it in this run; `otherwise` emits the other case.
 */
function emitNative(
  g: Gen,
  native: NativeMrs | undefined,
  rt: number,
  otherwise: () => void,
): void {
  const ok = native === undefined ? SYSOK_EL1 : native.ok;
  if (ok !== 0) {
    g.get(P.CB);
    g.mem(W.i32Load, 2, CB_SYSOK);
    g.i32(ok);
    g.op(W.i32And);
    g.if_();
  }
  if (native !== undefined && rt !== 31) {
    if (native.at !== undefined) {
      g.get(P.CB);
      g.mem(W.i64Load, 3, native.at);
    } else if (native.slot !== undefined) loadSysreg(g, native.slot);
    else g.i64(native.value!, 0);
    g.setX(rt);
  }
  if (ok === 0) return;
  g.else_();
  otherwise();
  g.end();
}

/** Pushes the storage register in `slot` of the CPU block's register file as i64. */
function loadSysreg(g: Gen, slot: number): void {
  g.get(P.CB);
  g.mem(W.i64Load32U, 2, CB_SYSLO + slot * 4);
  g.get(P.CB);
  g.mem(W.i64Load32U, 2, CB_SYSHI + slot * 4);
  g.i64(32, 0);
  g.op(W.i64Shl, W.i64Or);
}

/** Calls the helper (function 0) for the instruction: SYS_DONE, SYS_DECLINED or SYS_INTERRUPT. */
function callHelper(g: Gen, op: number, insn: number, pcOff: number): void {
  g.i32(insn);
  g.i32(op);
  g.get(g.va);
  g.i64n(pcOff);
  g.op(W.i64Add, W.f64ConvertI64S);
  g.b.byte(0x10); // call
  g.b.u32(0);
}

/** After the helper for an MRS or SYS: bail if it declined, else reload Rt for an MRS. */
function afterHelper(g: Gen, op: number, bail: () => void, rt: number): void {
  g.if_();
  bail();
  g.end();
  if (op === MRS && rt !== 31) {
    loadReg(g, rt);
    g.written[rt] = 1;
  }
}

/**
 * After the helper wrote DAIF (its answer on the stack): bail if it declined; else
 * CB_SYNC = the budget left after this instruction (P.BUDGET - retired so far), and
 * leave with SYNC if an interrupt is now takeable.
 */
function emitDaifResult(g: Gen, exits: SysExits): void {
  g.tee(g.ic);
  g.i32(SYS_DECLINED);
  g.op(W.i32Eq);
  g.if_();
  exits.bail();
  g.end();
  g.get(P.CB);
  g.get(P.BUDGET);
  g.get(g.n);
  g.op(W.i32Sub);
  g.i32(exits.rest);
  g.op(W.i32Add);
  g.mem(W.i32Store, 2, CB_SYNC);
  g.get(g.ic);
  g.if_();
  exits.sync();
  g.end();
}

function emitZva(g: Gen, rt: number, bail: () => void): void {
  g.get(P.CB);
  g.mem(W.i32Load, 2, CB_ZVAOK);
  g.op(W.i32Eqz);
  g.if_();
  bail();
  g.end();
  g.x(rt);
  g.i64(-64, -1);
  g.op(W.i64And);
  g.set(g.ta);
  probe(g, P.WTLB, -4096, -1, bail);
  // DC ZVA to Device memory is an alignment fault (exec/sysops.ts): the mirror's flag.
  g.get(g.ia);
  g.mem(W.i32Load, 2, 12);
  g.if_();
  bail();
  g.end();
  for (let i = 0; i < 64; i += 8) {
    g.get(g.host);
    g.i64(0, 0);
    g.mem(W.i64Store, 0, i);
  }
}
