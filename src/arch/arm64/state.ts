// The CPU state as the instruction executors, the MMU and the system registers see it.
// An interface (implemented by cpu.ts) so that those modules never import the CPU
// class and the import graph stays acyclic (test/layering.test.ts).

import type { CpuExit, GicCpuInterface, Stage2Page, Stage2Port, UserFault } from "./port.js";
import type { Pmu } from "./pmu.js";
import type { SimdContext } from "./simd/context.js";
import type { GenericTimer } from "./timer.js";
import type { SysregFile } from "./sysfile.js";
import type { ExclusiveMonitor } from "./monitor.js";
import type { CodePage } from "./mmu/tlb.js";
import type { JitStats, TlbBroadcast } from "./port.js";

/** The JIT tier as the run loop sees it (jit/tier.ts). */
export interface JitRunner {
  /** Runs compiled code at the PC: instructions retired, or -1 (interpret from here). */
  enter(cpu: CpuState, budget: number): number;
  /** The instruction at the PC must be interpreted (set by enter). */
  interpretNext: boolean;
  /**
   * A called-out instruction took an exception or exit, or a DAIF write left an
   * interrupt to take (set by enter): publish the count and check interrupts.
   */
  excepted: boolean;
  /**
   * Instructions of enter()'s run up to its last DAIF write (0: none): the interpreter
   * publishes the count there (execute() returns on irqCheck), so the run loop does.
   */
  synced: number;
  /**
   * At a branch the interpreter took while the tier had no code for where it came
   * from: true when the target, on the same page, is still cold (its arrival is
   * counted) so the interpreter keeps going instead of returning to the run loop.
   */
  stillCold(cpu: CpuState): boolean;
  /** Figures for `cpu.jitStats` (port.ts JitStats). */
  readonly stats: JitStats;
}

/** Result of translating one access down to a host page. */
export interface Translation {
  ipa: number;
  ipaPage: number;
  /** Device memory (MMU off, or a Device MAIR attribute): unaligned accesses fault. */
  device: boolean;
  view: DataView;
  /** Byte offset of the page in `view`. */
  add: number;
}

/** Guest memory as the executors use it (mmu/memory.ts). */
export interface MemoryPort {
  readonly port: Stage2Port;
  /** The TLB (see mmu/memory.ts); the interpreter inlines its fast path. */
  readonly tagLo: Int32Array;
  readonly tagHi: Int32Array;
  readonly views: DataView[];
  readonly adds: Float64Array;
  switchContext(ttbr0Lo: number, ttbr0Hi: number, ttbr1Lo: number, ttbr1Hi: number): void;
  readonly rBase: number;
  readonly wBase: number;
  readonly xBase: number;
  readonly tr: Translation;
  /** High half of the last 64-bit read. */
  hi: number;
  read8(lo: number, hi: number): number;
  read16(lo: number, hi: number): number;
  read32(lo: number, hi: number): number;
  read64(lo: number, hi: number): number;
  write8(lo: number, hi: number, value: number): void;
  write16(lo: number, hi: number, value: number): void;
  write32(lo: number, hi: number, value: number): void;
  write64(lo: number, hi: number, vlo: number, vhi: number): void;
  /** Offset in views[bulkIndex] of a transfer in one TLB-mapped page, else -1. */
  bulk(lo: number, hi: number, bytes: number, write: boolean): number;
  readonly bulkIndex: number;
  readUnpriv(lo: number, hi: number, size: number): number;
  writeUnpriv(lo: number, hi: number, size: number, vlo: number, vhi: number): void;
  readAligned(lo: number, hi: number, size: number): number;
  writeAligned(lo: number, hi: number, size: number, vlo: number, vhi: number): void;
  checkAlign16(lo: number, hi: number, isWrite: boolean): void;
  probeWrite(lo: number, hi: number, size: number): Translation;
  fetchTranslate(lo: number, hi: number): Translation;
  /** A compiled unit's TLB miss (mmu/memory.ts, jit/tlb-fill.ts): filled, may it go on? */
  fillForJit(
    lo: number,
    hi: number,
    access: number,
    bytes: number,
    span: number,
    strict: boolean,
  ): boolean;
  readIpa64(ipa: number): { lo: number; hi: number } | undefined;
  stage2(ipaPage: number): Stage2Page | undefined;
  flushPage(lo: number, hi: number): void;
  flushStage2(): void;
  readonly codePages: (CodePage | undefined)[];
  /** Wasm address of the current TLB context's JIT mirror (mmu/tlb.ts). */
  readonly mirrorAddr: number;
  readonly ipaPages: Float64Array;
  viewOf(page: Stage2Page): DataView;
  setEl(el: number): void;
  flush(): void;
}

/** The debug unit as the loop, the MMU and exception entry/return see it (debug.ts). */
export interface DebugState {
  /** An external debugger single-steps this CPU. */
  readonly extStep: boolean;
  /** MDSCR_EL1.SS. */
  readonly stepEnabled: boolean;
  /** Some watchpoint is armed: the memory unit's slow path checks every access. */
  readonly watchArmed: boolean;
  pstateEvent: number;
  steppedPending: boolean;
  enabledNow(): boolean;
  externalBreakpoint(pc: number): boolean;
  guestBreakpoint(pc: number): boolean;
  takeBreakpoint(): void;
  takeStep(stepped: boolean, exclusive: boolean): void;
  checkWatch(lo: number, hi: number, size: number, isWrite: boolean, el: number): void;
  pageWatched(pageStart: number): boolean;
  returnSs(spsr: number, targetEl: number): number;
  /** MDSCR_EL1, the OS locks or a DBG{B,W}{V,C}R register was written. */
  refresh(): void;
}

export interface CpuState extends SimdContext {
  /** Where the broadcast TLBI forms reach the other PEs (CpuOptions.tlbBroadcast). */
  readonly tlbBroadcast: TlbBroadcast | undefined;
  readonly xl: Int32Array;
  readonly xh: Int32Array;
  pc: number;
  nf: number;
  zf: number;
  cf: number;
  vf: number;
  el: number;
  spsel: number;
  daif: number;
  /** PSTATE.SS, the software step state bit (D2.12). */
  pstateSS: number;
  readonly debug: DebugState;
  spEl0Lo: number;
  spEl0Hi: number;
  spEl1Lo: number;
  spEl1Hi: number;
  sctlr: number;
  tcrLo: number;
  tcrHi: number;
  ttbr0Lo: number;
  ttbr0Hi: number;
  ttbr1Lo: number;
  ttbr1Hi: number;
  mairLo: number;
  mairHi: number;
  vbar: number;
  elrLo: number;
  elrHi: number;
  spsr: number;
  esr: number;
  farLo: number;
  farHi: number;
  cpacr: number;
  alignmentCheck: boolean;
  spCheck: boolean;
  osLock: number;
  readonly sys: SysregFile;
  readonly timer: GenericTimer;
  readonly gic: GicCpuInterface | undefined;
  readonly user: boolean;
  readonly mpidr: bigint;
  readonly mem: MemoryPort;
  instructionsRetired: number;
  sliceLeft: number;
  sliceBudget: number;
  exit: CpuExit | undefined;
  insn: number;
  irqLine: boolean;
  fiqLine: boolean;
  irqCheck: boolean;
  /** tiering.ts: InterpretOnly reason bits; compiled code runs only while this is 0. */
  interpretOnly: number;
  /** The PMU (pmu.ts) and the interpreter's BR/LD/ST tallies for it. */
  readonly pmu: Pmu;
  readonly pmuTally: Float64Array;
  /** The local exclusive monitor (monitor.ts). */
  readonly excl: ExclusiveMonitor;
  fetchBase: number;
  fetchView: DataView;
  fetchAdd: number;
  fetchWords: Int32Array;
  fetchOps: Uint16Array;
  /** The decoded-op page of the fetch page (carries its compiled units). */
  fetchPage: CodePage | undefined;
  readonly decodedPages: Map<number, CodePage>;
  /** The JIT tier, when this CPU has one (jit/tier.ts). */
  readonly jit: JitRunner | undefined;
  readonly nzcv: number;

  pstate(): number;
  setMode(el: number, spsel: number): void;
  updateControls(): void;
  enterException(
    vector: number,
    esr: number,
    returnPc: number,
    farLo?: number,
    farHi?: number,
  ): void;
  exceptionReturn(): void;
  checkInterrupts(): boolean;
  syncException(ec: number, iss: number, returnPc?: number): never;
  undefinedInstruction(): never;
  userFault(fault: UserFault): never;
  exitWith(exit: CpuExit): never;
  translationFault(lo: number, hi: number, access: number, fsc: number, s1ptw: boolean): never;
  alignmentFault(lo: number, hi: number, isWrite: boolean): never;
  pcAlignmentFault(): never;
  spAlignmentFault(): never;
  stage2Fault(
    ipa: number,
    isWrite: boolean,
    isFetch: boolean,
    isTableWalk: boolean,
    lo: number,
    hi: number,
  ): never;
  fpEnabled(): boolean;
  checkFpAccess(): void;
  liveInstructions(): number;
  currentInsn(): number;
}
