// The A64 CPU: architectural state, the Arm64Cpu API the hypervisor drives, and the
// exception machinery (Arm ARM D1.10: exception entry to EL1, ESR/FAR/ELR/SPSR, ERET).
// Instruction semantics live in interp.ts (hot ops) and exec/*.ts (the rest).
//
// Representation (see README.md): X0-X30 as int32 halves in `xl`/`xh`; slot 31 is the
// zero register (always 0), slot 32 the current SP. Addresses and the PC are numbers
// holding the signed 64-bit value, exact for every canonical VA (|va| < 2^53).

import { Pmu } from "./pmu.js";
import type {
  Arm64Cpu,
  CpuExit,
  CpuOptions,
  GicCpuInterface,
  Stage2Abort,
  UserFault,
  ExternalDebugConfig,
  JitStats,
  TlbBroadcast,
} from "./port.js";
import type { SimdContext } from "./simd/context.js";
import { MemoryUnit } from "./mmu/memory.js";
import { EC, FSC, VECTOR, abortInstruction, esrOf } from "./fault.js";
import {
  enterException,
  exceptionReturn,
  checkInterrupts,
  translationFault,
  alignmentFault,
  pcAlignmentFault,
  spAlignmentFault,
} from "./exceptions.js";
import { GenericTimer } from "./timer.js";
import { run, getDecoder } from "./interp.js";
import { JitTier } from "./jit/tier.js";
import { CB_EXCL, CB_FPSR, CB_SIZE, CB_SYSHI, CB_SYSLO, CB_V, CB_XH } from "./jit/gen.js";
import { ExclusiveMonitor, MONITOR_SLOTS } from "./monitor.js";
import { jitCompileMode, jitThreshold } from "./tiering.js";
import type { CodePage } from "./mmu/tlb.js";
import { toBig, toSignedNumber, fromBig, R } from "./bits.js";
import { MAX_SLOTS, SysregFile } from "./sysfile.js";
import type { CpuState } from "./state.js";
import { syndromeFor } from "./syndrome.js";
import { traceState } from "./trace.js";
import { DebugUnit } from "./debug.js";
import { DebugAccess } from "./debug-access.js";

/** A budget exit the PMU asks for when its next overflow point moves (pmu.ts). */
const PMU_REPLAN_EXIT = Object.freeze({ kind: "budget" as const });

export class Cpu implements Arm64Cpu, SimdContext, CpuState {
  /** X0-X30, XZR, SP halves: in the wasm arena's CPU block when the JIT tier is on. */
  readonly xl: Int32Array;
  readonly xh: Int32Array;
  pc = 0;
  nf = 0;
  zf = 0;
  cf = 0;
  vf = 0;
  el = 1;
  spsel = 1;
  /** PSTATE.{D,A,I,F} in SPSR bit positions 9:6. */
  daif = 0x3c0;
  pstateSS = 0;
  readonly debug: DebugUnit;
  /** SP_EL0 / SP_EL1 while not selected (the selected one is slot 32). */
  spEl0Lo = 0;
  spEl0Hi = 0;
  spEl1Lo = 0;
  spEl1Hi = 0;

  /** V0-V31: in the CPU block too when the JIT tier is on (compiled SIMD code uses them). */
  readonly vregs: Uint8Array;
  readonly vview: DataView;
  /** FPSR and FPCR: in the CPU block too with the JIT tier (native FP code checks them). */
  private readonly fpState: Int32Array;
  get fpsr(): number {
    return this.fpState[0]!;
  }
  set fpsr(value: number) {
    this.fpState[0] = value;
  }
  get fpcr(): number {
    return this.fpState[1]!;
  }
  set fpcr(value: number) {
    this.fpState[1] = value;
  }

  // Hot system registers as fields (the rest live in `sys`).
  sctlr = 0x30d00800;
  tcrLo = 0;
  tcrHi = 0;
  ttbr0Lo = 0;
  ttbr0Hi = 0;
  ttbr1Lo = 0;
  ttbr1Hi = 0;
  mairLo = 0;
  mairHi = 0;
  vbar = 0;
  elrLo = 0;
  elrHi = 0;
  spsr = 0;
  esr = 0;
  farLo = 0;
  farHi = 0;
  cpacr = 0;
  /** SCTLR.A: every data access must be aligned. */
  alignmentCheck = false;
  /** SCTLR.SA (EL1) / SA0 (EL0): SP-based accesses need a 16-byte aligned SP. */
  spCheck = false;
  /** OSLSR_EL1.OSLK (the OS lock, set at reset). */
  osLock = 1;
  /** Storage system registers: in the CPU block too with the JIT tier (TPIDR_EL0 in units). */
  readonly sys: SysregFile;
  readonly timer: GenericTimer;
  readonly gic: GicCpuInterface | undefined;
  readonly user: boolean;
  readonly mpidr: bigint;

  readonly mem: MemoryUnit;
  readonly tlbBroadcast: TlbBroadcast | undefined;
  instructionsRetired = 0;
  /** Budget left in the current slice (kept in step for counter reads mid-slice). */
  sliceLeft = 0;
  sliceBudget = 0;
  exit: CpuExit | undefined = undefined;
  /** Unused by the hot loop; kept for executors that want the word. */
  insn = 0;
  irqLine = false;
  fiqLine = false;
  /** Set when an instruction may have unmasked a pending interrupt. */
  irqCheck = false;
  /** Reasons (tiering.ts InterpretOnly bits) the JIT tier must step aside; 0 = free. */
  interpretOnly = 0;
  /** BR, LD, ST tallies and the last instruction's class, for the PMU (pmu.ts). */
  readonly pmuTally = new Float64Array(4);
  readonly pmu: Pmu = new Pmu(this);

  /** The exclusive monitor: in the CPU block too with the JIT tier (compiled LDXR/STXR). */
  readonly excl: ExclusiveMonitor;

  // Fetch page cache: the translated page of the current PC and its decoded ops.
  fetchBase = NaN;
  fetchView: DataView = new DataView(new ArrayBuffer(8));
  fetchAdd = 0;
  fetchWords: Int32Array = new Int32Array(1024);
  fetchOps: Uint16Array = new Uint16Array(1024);
  fetchPage: CodePage | undefined = undefined;
  readonly decodedPages = new Map<number, CodePage>();
  /** The JIT tier (jit/tier.ts); undefined with `--no-jit` or without a wasm arena. */
  readonly jit: JitTier | undefined;

  /** The pending stage-2 abort (MMIO) and the VA of its access. */
  private pendingAbort: Stage2Abort | undefined;
  private pendingAbortVa = { lo: 0, hi: 0 };

  constructor(options: CpuOptions) {
    this.user = options.mode === "user";
    this.tlbBroadcast = options.tlbBroadcast;
    this.mem = new MemoryUnit(this, options.memory);
    const arena = options.memory.arena;
    const threshold =
      options.jit === false ? undefined : (options.jit?.threshold ?? jitThreshold());
    if (arena !== undefined && threshold !== undefined) {
      // The register file lives in the arena so compiled code loads and stores it.
      const cb = arena.allocate(CB_SIZE, 16);
      this.xl = new Int32Array(arena.buffer, cb, 33);
      this.xh = new Int32Array(arena.buffer, cb + CB_XH, 33);
      this.vregs = new Uint8Array(arena.buffer, cb + CB_V, 512);
      this.fpState = new Int32Array(arena.buffer, cb + CB_FPSR, 2);
      this.excl = new ExclusiveMonitor(new Int32Array(arena.buffer, cb + CB_EXCL, MONITOR_SLOTS));
      this.sys = new SysregFile(
        new Int32Array(arena.buffer, cb + CB_SYSLO, MAX_SLOTS),
        new Int32Array(arena.buffer, cb + CB_SYSHI, MAX_SLOTS),
      );
      this.mem.enableMirror(arena);
      const cacheLimit = options.jit ? options.jit.cacheLimit : undefined;
      const compile = (options.jit ? options.jit.compile : undefined) ?? jitCompileMode();
      this.jit = new JitTier(this, arena, cb, threshold, getDecoder(), cacheLimit, compile);
    } else {
      this.xl = new Int32Array(33);
      this.xh = new Int32Array(33);
      this.vregs = new Uint8Array(512);
      this.fpState = new Int32Array(2);
      this.excl = new ExclusiveMonitor();
      this.sys = new SysregFile();
      this.jit = undefined;
    }
    this.vview = new DataView(this.vregs.buffer, this.vregs.byteOffset, 512);
    this.gic = options.gic;
    this.mpidr = options.mpidr ?? 0n;
    this.timer = new GenericTimer(
      options.counter ?? (() => BigInt(this.liveInstructions())),
      options.counterFrequency ?? 62_500_000,
    );
    this.debug = new DebugUnit(this);
    this.debugAccess = new DebugAccess(this);
    this.reset(0);
  }

  /** The word of the instruction at the PC (always in the current fetch page). */
  currentInsn(): number {
    const off = this.pc - this.fetchBase;
    return off >= 0 && off < 4096 ? this.fetchView.getInt32(this.fetchAdd + off, true) : 0;
  }

  /** The JIT tier's figures (zeros when it is off). */
  /** The JIT tier's figures; undefined when this CPU has no JIT tier. */
  get jitStats(): JitStats | undefined {
    return this.jit?.stats;
  }

  liveInstructions(): number {
    return this.instructionsRetired + (this.sliceBudget - this.sliceLeft);
  }

  // ---- Arm64Cpu ----

  run(budget: number): CpuExit {
    const pmu = this.pmu;
    if (!pmu.active) return run(this, budget);
    // Stop at the next counter overflow so its interrupt is raised on time.
    pmu.sync();
    const exit = run(this, Math.min(budget, pmu.instructionsToOverflow()));
    pmu.sync();
    return exit;
  }

  /** Ends the run after this instruction (a budget exit), so cpu.run re-plans the slice. */
  pmuReplan(): void {
    this.irqCheck = true;
    this.exit ??= PMU_REPLAN_EXIT;
  }

  /** The PMU's overflow interrupt (PPI 7) to the GIC as a level. */
  pmuInterrupt(level: boolean): void {
    this.gic?.setPmuLevel?.(level);
    this.irqCheck = true;
  }

  reset(pc: number): void {
    this.xl.fill(0);
    this.xh.fill(0);
    this.vregs.fill(0);
    this.nf = this.zf = this.cf = this.vf = 0;
    this.spEl0Lo = this.spEl0Hi = this.spEl1Lo = this.spEl1Hi = 0;
    this.fpcr = this.fpsr = 0;
    this.excl.reset();
    this.exit = undefined;
    this.pendingAbort = undefined;
    if (this.user) {
      this.el = 0;
      this.spsel = 0;
      this.daif = 0;
      // Linux's EL0 view: MMU "on" with Normal memory, FP enabled, caches visible.
      this.cpacr = 3 << 20;
      this.tcrHi = 1 << 5; // TBI0
    } else {
      this.el = 1;
      this.spsel = 1;
      this.daif = 0x3c0;
      this.cpacr = 0;
      this.sctlr = 0x30d00800;
      this.tcrLo = this.tcrHi = 0;
    }
    this.ttbr0Lo = this.ttbr0Hi = this.ttbr1Lo = this.ttbr1Hi = 0;
    this.mairLo = this.mairHi = 0;
    this.vbar = 0;
    this.elrLo = this.elrHi = this.farLo = this.farHi = 0;
    this.spsr = this.esr = 0;
    this.osLock = 1;
    this.pstateSS = 0;
    this.pmuTally.fill(0);
    this.pmu.reset();
    this.sys.lo.fill(0);
    this.sys.hi.fill(0);
    this.debug.refresh();
    this.timer.vctl = this.timer.pctl = this.timer.kctl = 0;
    this.timer.vcval = this.timer.pcval = 0n;
    this.mem.setEl(this.el);
    this.updateControls();
    this.mem.flush();
    this.decodedPages.clear();
    this.pc = pc;
  }

  getX(index: number): bigint {
    return index >= 31 ? 0n : toBig(this.xl[index]!, this.xh[index]!);
  }

  setX(index: number, value: bigint): void {
    if (index >= 31) return;
    fromBig(value);
    this.xl[index] = R.lo;
    this.xh[index] = R.hi;
  }

  getW(n: number): number {
    return n >= 31 ? 0 : this.xl[n]! >>> 0;
  }

  setW(n: number, value: number): void {
    if (n >= 31) return;
    this.xl[n] = value | 0;
    this.xh[n] = 0;
  }

  getSp(): bigint {
    return toBig(this.xl[32]!, this.xh[32]!);
  }

  setSp(value: bigint): void {
    fromBig(value);
    this.xl[32] = R.lo;
    this.xh[32] = R.hi;
  }

  get nzcv(): number {
    return ((this.nf << 31) | (this.zf << 30) | (this.cf << 29) | (this.vf << 28)) >>> 0;
  }

  setNzcv(nzcv: number): void {
    this.nf = (nzcv >>> 31) & 1;
    this.zf = (nzcv >>> 30) & 1;
    this.cf = (nzcv >>> 29) & 1;
    this.vf = (nzcv >>> 28) & 1;
  }

  getNzcv(): number {
    return this.nzcv;
  }

  get currentEl(): number {
    return this.el;
  }

  completeMmioRead(value: bigint): void {
    const a = this.pendingAbort;
    this.pendingAbort = undefined;
    if (a !== undefined && !a.isWrite && a.syndromeValid && a.register !== 31) {
      const bits = BigInt(a.size * 8);
      let v = BigInt.asUintN(Number(bits), value);
      if (a.signExtend) v = BigInt.asIntN(Number(bits), v);
      this.setX(a.register, BigInt.asUintN(a.sixtyFour ? 64 : 32, v));
    }
    this.pc += 4;
  }

  completeMmio(): void {
    this.pendingAbort = undefined;
    this.pc += 4;
  }

  injectExternalAbort(abort: Stage2Abort): void {
    this.pendingAbort = undefined;
    const va = this.pendingAbortVa;
    // User mode never exits with stage2-abort (unbacked pages are user faults there).
    if (this.user) return;
    const lower = this.el === 0;
    const fsc = abort.isTableWalk ? FSC.SYNC_EXTERNAL_WALK + 1 : FSC.SYNC_EXTERNAL;
    const s1ptw = abort.isTableWalk ? 1 << 7 : 0;
    if (abort.isFetch) {
      this.enterException(
        VECTOR.SYNC,
        esrOf(lower ? EC.IABT_LOWER : EC.IABT_CURRENT, fsc | s1ptw),
        this.pc,
        va.lo,
        va.hi,
      );
    } else {
      const wnr = abort.isWrite ? 1 << 6 : 0;
      this.enterException(
        VECTOR.SYNC,
        esrOf(lower ? EC.DABT_LOWER : EC.DABT_CURRENT, fsc | wnr | s1ptw),
        this.pc,
        va.lo,
        va.hi,
      );
    }
  }

  setIrqLine(level: boolean): void {
    this.irqLine = level;
  }

  setFiqLine(level: boolean): void {
    this.fiqLine = level;
  }

  timerOutputs(): number {
    return this.timer.outputs();
  }

  nextTimerDeadline(): bigint | undefined {
    return this.timer.nextDeadline();
  }

  invalidateTlb(page?: { readonly lo: number; readonly hi: number }): void {
    if (page === undefined) this.mem.flush();
    else this.mem.flushPage(page.lo, page.hi);
  }

  invalidateStage2(): void {
    this.mem.flushStage2();
    this.decodedPages.clear();
  }

  /** Register and virtual-memory access for an external debugger (debug-access.ts). */
  readonly debugAccess: DebugAccess;

  /** Arms an external debugger's breakpoints, watchpoints and single step. */
  setExternalDebug(config: ExternalDebugConfig): void {
    this.debug.configure(config);
  }

  // ---- PSTATE and exceptions ----

  /** PSTATE as saved in SPSR_EL1 (Arm ARM C5.2.18). */
  pstate(): number {
    return (this.nzcv | (this.pstateSS << 21) | this.daif | (this.el << 2) | this.spsel) >>> 0;
  }

  /** Changes EL and SPSel, banking the stack pointers (Arm ARM D1.6.2). */
  setMode(el: number, spsel: number): void {
    const xl = this.xl;
    const xh = this.xh;
    if (this.spsel === 0 || this.el === 0) {
      this.spEl0Lo = xl[32]!;
      this.spEl0Hi = xh[32]!;
    } else {
      this.spEl1Lo = xl[32]!;
      this.spEl1Hi = xh[32]!;
    }
    if (spsel === 0 || el === 0) {
      xl[32] = this.spEl0Lo;
      xh[32] = this.spEl0Hi;
    } else {
      xl[32] = this.spEl1Lo;
      xh[32] = this.spEl1Hi;
    }
    if (el !== this.el) {
      this.el = el;
      this.mem.setEl(el);
      this.fetchBase = NaN;
    }
    this.spsel = spsel;
    this.updateControls();
  }

  /** Caches the SCTLR_EL1 checks the hot paths test (A, SA, SA0). */
  updateControls(): void {
    this.alignmentCheck = !this.user && (this.sctlr & 2) !== 0;
    this.spCheck = this.user || (this.sctlr & (this.el === 0 ? 1 << 4 : 1 << 3)) !== 0;
  }

  /** Exception entry to EL1 (Arm ARM D1.10.2, AArch64.TakeException). */
  enterException(vector: number, esr: number, returnPc: number, farLo = 0, farHi = 0): void {
    // The PMU's EL filters need what ran before the EL changes counted at its EL.
    if (this.pmu.active) this.pmu.sync();
    return enterException(this, vector, esr, returnPc, farLo, farHi);
  }

  /** ERET (Arm ARM D1.11): restores PSTATE from SPSR_EL1, PC from ELR_EL1. */
  exceptionReturn(): void {
    if (this.pmu.active) this.pmu.sync();
    return exceptionReturn(this);
  }

  /** Takes a pending, unmasked IRQ or FIQ; true if one was taken. */
  checkInterrupts(): boolean {
    return checkInterrupts(this);
  }

  /** A synchronous exception caused by the current instruction (PC at it). */
  syncException(ec: number, iss: number, returnPc = this.pc): never {
    if (this.user)
      this.userFault({ kind: "undefined", pc: this.pc, instruction: this.currentInsn() >>> 0 });
    this.enterException(VECTOR.SYNC, esrOf(ec, iss), returnPc);
    return abortInstruction();
  }

  undefinedInstruction(): never {
    return this.syncException(EC.UNKNOWN, 0);
  }

  userFault(fault: UserFault): never {
    this.exit = { kind: "user-fault", fault };
    return abortInstruction();
  }

  /** Ends the run with an exit; the instruction's remaining effects are dropped. */
  exitWith(exit: CpuExit): never {
    this.exit = exit;
    return abortInstruction();
  }

  translationFault(lo: number, hi: number, access: number, fsc: number, s1ptw: boolean): never {
    return translationFault(this, lo, hi, access, fsc, s1ptw);
  }

  alignmentFault(lo: number, hi: number, isWrite: boolean): never {
    return alignmentFault(this, lo, hi, isWrite);
  }

  pcAlignmentFault(): never {
    return pcAlignmentFault(this);
  }

  spAlignmentFault(): never {
    return spAlignmentFault(this);
  }

  /** No backing at stage 2: the run ends with a stage2-abort exit (or a user fault). */
  stage2Fault(
    ipa: number,
    isWrite: boolean,
    isFetch: boolean,
    isTableWalk: boolean,
    lo: number,
    hi: number,
  ): never {
    if (this.user) {
      const address = toSignedNumber(lo, hi);
      if (isFetch) this.userFault({ kind: "fetch-abort", pc: this.pc, address });
      this.userFault({ kind: "data-abort", pc: this.pc, address, isWrite });
    }
    const s = isFetch || isTableWalk ? undefined : syndromeFor(this, this.currentInsn());
    const abort: Stage2Abort = {
      ipa,
      isWrite,
      isFetch,
      isTableWalk,
      syndromeValid: s !== undefined,
      size: s?.size ?? 0,
      register: s?.register ?? 0,
      signExtend: s?.signExtend ?? false,
      sixtyFour: s?.sixtyFour ?? false,
      value: isWrite && s !== undefined ? s.value : 0n,
      pc: this.pc,
    };
    this.pendingAbort = abort;
    this.pendingAbortVa = { lo, hi };
    return this.exitWith({ kind: "stage2-abort", abort });
  }

  /** Whether FP/AdvSIMD is enabled at the current EL (CPACR_EL1.FPEN, D19.2.30). */
  fpEnabled(): boolean {
    const fpen = (this.cpacr >>> 20) & 3;
    return fpen === 3 || (fpen === 1 && this.el === 1);
  }

  checkFpAccess(): void {
    if (!this.fpEnabled()) this.syncException(EC.FP_ACCESS, (1 << 24) | (0xe << 20));
  }

  getTpidrEl0(): bigint {
    const s = this.sys.slot("TPIDR_EL0");
    return toBig(this.sys.lo[s]!, this.sys.hi[s]!);
  }

  setTpidrEl0(value: bigint): void {
    const s = this.sys.slot("TPIDR_EL0");
    fromBig(BigInt.asUintN(64, value));
    this.sys.lo[s] = R.lo;
    this.sys.hi[s] = R.hi;
  }

  /** The state after an instruction, in qemu's `-d cpu` layout, for trace diffs. */
  traceState(): string {
    return traceState(this);
  }
}
