// The function being generated for one compiled unit: its byte code, locals, the
// label stack (branch depths are computed from label ids) and the guest-state
// conventions every instruction emitter shares (jit/README in ../README.md).
//
// Calling convention of a unit function (all i32 but vaBase):
//   (entryBlock, vaBase: f64, budget, fetchAdd, rTlb, wTlb, cpuBlock) -> retired
// The CPU block (cpu.ts allocates it in the arena): X0-X30 + SP low halves at +0,
// high halves at +132, N Z C V as i32 at +264, the exit PC as f64 at +280, the exit
// kind at +288, whether FP/AdvSIMD is enabled (CPACR) at +292, whether misaligned
// accesses to Normal memory are allowed (SCTLR.A clear) at +296, V0-V31 at +304
// (16 bytes each, 16-byte aligned: compiled SIMD&FP code works on them in memory),
// FPSR, FPCR as i32 at +816, +820 (one i64 load reads both: emit-fp.ts's guard), at
// +824 the budget left at the last DAIF write (CB_SYNC), then what native system
// register reads may do and SP_EL0 for them (CB_SYSOK, CB_SPEL0), the exclusive
// monitor (CB_EXCL), then the system register file's storage (CB_SYSLO, CB_SYSHI:
// TPIDR_EL0, TPIDR_EL1 ...).

import { Bytes, F64, I32, I64, W } from "./wasm-emit.js";
import { MAX_SLOTS } from "../sysfile.js";

export const CB_XH = 132;
export const CB_FLAGS = 264;
export const CB_PC = 280;
export const CB_KIND = 288;
/** 1 when DC ZVA may run (not EL0 with SCTLR_EL1.DZE clear); the tier sets it per run. */
export const CB_ZVAOK = 300;
export const CB_FPOK = 292;
export const CB_ALIGNOK = 296;
export const CB_V = 304;
export const CB_FPSR = CB_V + 512;
export const CB_FPCR = CB_FPSR + 4;
/**
 * The budget left after the last DAIF write compiled code made in this run (the tier
 * sets it to the budget first): where the interpreter would have published the
 * instruction count (emit-sys.ts).
 */
export const CB_SYNC = CB_FPCR + 4;
/**
 * What native MRS and cache maintenance may do in this run (the tier sets it per run;
 * units change neither the EL nor SPSel): SYSOK_EL1, SYSOK_SPEL0.
 */
export const CB_SYSOK = CB_SYNC + 4;
export const SYSOK_EL1 = 1;
/** EL1 with SPSel 1: SP_EL0 is readable and its value is at CB_SPEL0. */
export const SYSOK_SPEL0 = 2;
/** SP_EL0 as i64 (set per run: only MSR and exception entry change it). */
export const CB_SPEL0 = CB_SYNC + 8;
/**
 * The system register file's storage (sysfile.ts SysregFile: MAX_SLOTS low halves,
 * then MAX_SLOTS high halves): the CPU's own, so TPIDR_EL0 and the other storage
 * registers are read and written in place by both tiers.
 */
/**
 * The exclusive monitor (exec/atomic.ts; cpu.ts's excl* accessors are views of it), so
 * compiled LDXR/STXR and the interpreter share it: at +0 whether it is armed (i32),
 * +4 its size in bytes, +8 the address (i64), +16 and +24 the value(s) LDXR/LDXP read.
 */
export const CB_EXCL = CB_SPEL0 + 8;
export const EXCL_VALID = 0;
export const EXCL_SIZE = 4;
export const EXCL_ADDR = 8;
export const EXCL_VAL = 16;
export const EXCL_VAL2 = 24;
export const CB_SYSLO = CB_EXCL + 32;
export const CB_SYSHI = CB_SYSLO + MAX_SLOTS * 4;
export const CB_SIZE = CB_SYSHI + MAX_SLOTS * 4;

/** Why a unit returned. */
export const Exit = {
  /** At an instruction boundary the dispatcher may enter again (branch, budget). */
  CONTINUE: 0,
  /** The instruction at the PC must be run by the interpreter (slow path, fault). */
  INTERPRET: 1,
  /** The unit's instruction words changed in memory: drop the page's units. */
  STALE: 2,
  /** A called-out instruction took an exception or exit: the CPU state is current. */
  EXCEPTION: 3,
  /**
   * After a DAIF write that left an interrupt to take: the run loop publishes the
   * instruction count and checks interrupts there, as after the interpreter's MSR.
   */
  SYNC: 4,
} as const;

export const P = { ENTRY: 0, VABASE: 1, BUDGET: 2, FETCH: 3, RTLB: 4, WTLB: 5, CB: 6 } as const;
export const PARAMS = [I32, F64, I32, I32, I32, I32, I32] as const;

export class Gen {
  readonly b = new Bytes();
  readonly localTypes: number[] = [];
  private readonly regLocal = new Int32Array(33).fill(-1);
  readonly written = new Uint8Array(33);
  flagsWritten = false;
  private readonly labels: number[] = [];
  private nextLabel = 0;
  // Named locals.
  readonly n = this.local(I32);
  readonly next = this.local(I32);
  readonly nf = this.local(I32);
  readonly zf = this.local(I32);
  readonly cf = this.local(I32);
  readonly vf = this.local(I32);
  readonly pc = this.local(I64);
  readonly kind = this.local(I32);
  readonly va = this.local(I64);
  readonly ta = this.local(I64);
  readonly tb = this.local(I64);
  readonly tc = this.local(I64);
  readonly td = this.local(I64);
  readonly ia = this.local(I32);
  readonly ib = this.local(I32);
  readonly ic = this.local(I32);
  readonly host = this.local(I32);
  /** Blocks (the 64 first) whose words this entry has compared with memory (compile.ts). */
  readonly seen = this.local(I64);
  /** Whether an instruction was called out (emit-callout.ts): see compileRegion. */
  callsOut = false;

  local(type: number): number {
    this.localTypes.push(type);
    return PARAMS.length + this.localTypes.length - 1;
  }

  /** The i64 local caching guest register slot `s` (0-30, 32 = SP). */
  reg(s: number): number {
    let l = this.regLocal[s]!;
    if (l < 0) {
      l = this.local(I64);
      this.regLocal[s] = l;
    }
    return l;
  }

  usedRegs(): number[] {
    const out: number[] = [];
    for (let s = 0; s < 33; s++) if (this.regLocal[s]! >= 0) out.push(s);
    return out;
  }

  op(...codes: number[]): void {
    for (const c of codes) this.b.byte(c);
  }

  get(l: number): void {
    this.b.byte(W.localGet);
    this.b.u32(l);
  }

  set(l: number): void {
    this.b.byte(W.localSet);
    this.b.u32(l);
  }

  tee(l: number): void {
    this.b.byte(W.localTee);
    this.b.u32(l);
  }

  i32(v: number): void {
    this.b.byte(W.i32Const);
    this.b.s32(v);
  }

  i64(lo: number, hi: number): void {
    this.b.byte(W.i64Const);
    this.b.s64(lo, hi);
  }

  /** An i64 constant from a (safe-integer) number. */
  i64n(v: number): void {
    const lo = (v % 4294967296) | 0;
    const hi = Math.floor(v / 4294967296) | 0;
    this.i64(lo, hi);
  }

  mem(opcode: number, align: number, offset: number): void {
    this.b.byte(opcode);
    this.b.u32(align);
    this.b.u32(offset);
  }

  // ---- structured control with named labels ----

  private open(opcode: number, type = 0x40): number {
    this.b.byte(opcode);
    this.b.byte(type);
    const id = this.nextLabel++;
    this.labels.push(id);
    return id;
  }

  block(): number {
    return this.open(W.block);
  }

  loop(): number {
    return this.open(W.loop);
  }

  /** `if` consuming an i32 condition; close with end(). */
  if_(): number {
    return this.open(W.if);
  }

  else_(): void {
    this.b.byte(W.else);
  }

  end(): void {
    this.labels.pop();
    this.b.byte(W.end);
  }

  depth(id: number): number {
    const i = this.labels.lastIndexOf(id);
    if (i < 0) throw new Error("jit: branch to a closed label");
    return this.labels.length - 1 - i;
  }

  br(id: number): void {
    this.b.byte(W.br);
    this.b.u32(this.depth(id));
  }

  brIf(id: number): void {
    this.b.byte(W.brIf);
    this.b.u32(this.depth(id));
  }

  brTable(ids: readonly number[], dflt: number): void {
    this.b.byte(W.brTable);
    this.b.u32(ids.length);
    for (const id of ids) this.b.u32(this.depth(id));
    this.b.u32(this.depth(dflt));
  }

  // ---- guest registers ----

  /** Pushes Xr (XZR for 31) as i64. */
  x(r: number): void {
    if (r === 31) this.i64(0, 0);
    else this.get(this.reg(r));
  }

  /** Pushes Xr or SP for 31. */
  xsp(r: number): void {
    this.get(this.reg(r === 31 ? 32 : r));
  }

  /** Pushes Wr as i32. */
  w(r: number): void {
    if (r === 31) this.i32(0);
    else {
      this.get(this.reg(r));
      this.op(W.i32WrapI64);
    }
  }

  wsp(r: number): void {
    this.xsp(r);
    this.op(W.i32WrapI64);
  }

  /** Pops an i64 into Xr (discarded for XZR). */
  setX(r: number): void {
    if (r === 31) {
      this.op(W.drop);
      return;
    }
    this.set(this.reg(r));
    this.written[r] = 1;
  }

  setXsp(r: number): void {
    const s = r === 31 ? 32 : r;
    this.set(this.reg(s));
    this.written[s] = 1;
  }

  /** Pops an i32 into Xr zero-extended (a W-register write). */
  setW(r: number): void {
    if (r === 31) {
      this.op(W.drop);
      return;
    }
    this.op(W.i64ExtendI32U);
    this.setX(r);
  }

  setWsp(r: number): void {
    this.op(W.i64ExtendI32U);
    this.setXsp(r);
  }

  // ---- flags ----

  /** Pushes ConditionHolds(cond) as i32 0/1 (Arm ARM J1 shared/functions/system). */
  cond(c: number): void {
    switch (c >>> 1) {
      case 0:
        this.get(this.zf);
        break;
      case 1:
        this.get(this.cf);
        break;
      case 2:
        this.get(this.nf);
        break;
      case 3:
        this.get(this.vf);
        break;
      case 4:
        this.get(this.cf);
        this.get(this.zf);
        this.op(W.i32Eqz, W.i32And);
        break;
      case 5:
        this.get(this.nf);
        this.get(this.vf);
        this.op(W.i32Eq);
        break;
      case 6:
        this.get(this.nf);
        this.get(this.vf);
        this.op(W.i32Eq);
        this.get(this.zf);
        this.op(W.i32Eqz, W.i32And);
        break;
      default:
        this.i32(1);
        return;
    }
    if ((c & 1) !== 0) {
      this.i32(1);
      this.op(W.i32Xor);
    }
  }

  /** N and Z of a 64-bit result held in local `r`; C and V cleared (logical ops). */
  logicFlags64(r: number): void {
    this.get(r);
    this.i64(63, 0);
    this.op(W.i64ShrU, W.i32WrapI64);
    this.set(this.nf);
    this.get(r);
    this.op(W.i64Eqz);
    this.set(this.zf);
    this.i32(0);
    this.set(this.cf);
    this.i32(0);
    this.set(this.vf);
    this.flagsWritten = true;
  }

  logicFlags32(r: number): void {
    this.get(r);
    this.i32(31);
    this.op(W.i32ShrU);
    this.set(this.nf);
    this.get(r);
    this.op(W.i32Eqz);
    this.set(this.zf);
    this.i32(0);
    this.set(this.cf);
    this.i32(0);
    this.set(this.vf);
    this.flagsWritten = true;
  }
}
