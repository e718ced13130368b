// The contract between the emulated CPU and whatever runs it (the hypervisor's vCPU
// threads, or `gunyah exec`'s Linux user-mode layer). The CPU never owns memory: it
// reaches guest-physical pages only through a Stage2Port, and everything it cannot
// finish by itself (HVC, SMC, WFI, an access with no backing page) is an exit.

import type { WasmArena } from "./jit/arena.js";
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** One 4 KiB intermediate-physical page backed by host memory. */
export interface Stage2Page {
  /** The backing buffer (usually a whole SharedArrayBuffer-backed bank). */
  readonly bytes: Uint8Array;
  /** Byte offset of the page inside `bytes`. */
  readonly offset: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
}

export interface Stage2Port {
  /**
   * The backing of the IPA page number `ipaPage` (IPA >> 12), or undefined when the
   * page is not mapped: the access then ends the run with a `stage2-abort` exit.
   * The CPU caches answers in its TLB until `invalidateStage2()` is called. Only
   * answers are cached, never a miss: a page mapped later is seen at the next access
   * without an invalidation (the hypervisor relies on this when it maps a page).
   */
  lookup(ipaPage: number): Stage2Page | undefined;
  /**
   * The shared wasm memory the pages' bytes live in, if any (jit/arena.ts): compiled
   * code reaches only pages in it (others take the interpreter's paths).
   */
  readonly arena?: WasmArena;
}

/** Syndrome of a stage-2 abort, in the terms of ESR_EL2.ISS for data aborts. */
export interface Stage2Abort {
  readonly ipa: number;
  readonly isWrite: boolean;
  /** Instruction fetch (the guest jumped to an unmapped page). */
  readonly isFetch: boolean;
  /** Fault during a stage-1 page-table walk. */
  readonly isTableWalk: boolean;
  /** ISV: a single-register load/store without writeback, which can be emulated. */
  readonly syndromeValid: boolean;
  /** Access size in bytes: 1, 2, 4 or 8. */
  readonly size: number;
  /** SRT: the transfer register (31 = XZR). */
  readonly register: number;
  /** SSE: the load sign-extends. */
  readonly signExtend: boolean;
  /** SF: the register is 64-bit. */
  readonly sixtyFour: boolean;
  /** For writes with a valid syndrome: the value being stored (zero-extended). */
  readonly value: bigint;
  /** PC of the aborting instruction. */
  readonly pc: number;
}

/** Synchronous exceptions that a user-mode CPU reports instead of vectoring. */
export type UserFault =
  | { readonly kind: "undefined"; readonly pc: number; readonly instruction: number }
  | {
      readonly kind: "data-abort";
      readonly pc: number;
      readonly address: number;
      readonly isWrite: boolean;
    }
  | { readonly kind: "fetch-abort"; readonly pc: number; readonly address: number }
  | { readonly kind: "alignment"; readonly pc: number; readonly address: number }
  | { readonly kind: "brk"; readonly pc: number; readonly imm: number };

/** What an external debugger arms on one vCPU (KVM_SET_GUEST_DEBUG's role). */
export interface ExternalDebugConfig {
  /** Instruction addresses (signed 64-bit values as numbers) to stop before. */
  readonly breakpoints: readonly number[];
  readonly watchpoints: readonly WatchSpec[];
  /** Stop after one instruction (or one exception entry). */
  readonly step: boolean;
}

export interface WatchSpec {
  readonly address: number;
  readonly length: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** Why an external debugger's stop happened (the `debug` CpuExit). */
export type DebugStop =
  | { readonly reason: "breakpoint"; readonly pc: number }
  | { readonly reason: "step"; readonly pc: number }
  | {
      readonly reason: "watchpoint";
      readonly pc: number;
      /** The watched data address the access touched. */
      readonly address: number;
      readonly isWrite: boolean;
    };

export type CpuExit =
  /**
   * The instruction budget of `run()` was used up, or the run ended early right after
   * a generic-timer register write (CNTx_CTL/CVAL/TVAL) so that the runner re-samples
   * `timerOutputs()` and `nextTimerDeadline()` before the next instruction. Any
   * execution tier must end the run when an instruction leaves `exit` set.
   */
  | { readonly kind: "budget" }
  /** HVC at EL1. PC is already past the instruction; X0..X17 are the arguments. */
  | { readonly kind: "hvc"; readonly imm: number }
  /** SMC at EL1 (treated like HVC by the hypervisor's SMCCC dispatcher). */
  | { readonly kind: "smc"; readonly imm: number }
  /** WFI. PC is already past it; run again when an interrupt is pending. */
  | { readonly kind: "wfi" }
  /**
   * WFE at EL1 (system mode). PC is already past it, so running on is always right; a
   * runner with other vCPUs may let one of them run first, since the event a spinning
   * WFE waits for can only come from another CPU (QEMU's round-robin TCG yields here).
   */
  | { readonly kind: "wfe" }
  /** An access to an unmapped IPA. PC is at the aborting instruction. */
  | { readonly kind: "stage2-abort"; readonly abort: Stage2Abort }
  /** User mode only: SVC at EL0. PC is past it; X8 holds the Linux syscall number. */
  | { readonly kind: "svc"; readonly imm: number }
  /** User mode only: a synchronous exception at EL0. */
  | { readonly kind: "user-fault"; readonly fault: UserFault }
  /** An external debugger's breakpoint, watchpoint or step (setExternalDebug). */
  | { readonly kind: "debug"; readonly stop: DebugStop };

/**
 * The GIC CPU interface (ICC_* system registers), provided by the hypervisor's virtual
 * GICv3. The CPU routes MRS/MSR of any ICC_* encoding here; `key` is the system
 * register encoding (op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2).
 * `read` returning undefined makes the access UNDEFINED.
 */
export interface GicCpuInterface {
  read(key: number): bigint | undefined;
  write(key: number, value: bigint): boolean;
  /** The PMU overflow interrupt's level (PPI 7, INTID 23), as it changes. */
  setPmuLevel?(level: boolean): void;
}

export function sysregKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

export interface CpuOptions {
  /** "system": EL1/EL0 with exceptions vectored to VBAR_EL1 (guests). "user": EL0 only; SVC and faults exit (gunyah exec). */
  readonly mode: "system" | "user";
  readonly memory: Stage2Port;
  /** MPIDR_EL1 affinity value (Aff0 = vCPU index for guests). */
  readonly mpidr?: bigint;
  /** The system counter (CNTPCT/CNTVCT before offset), read at CNTFRQ ticks per second. */
  readonly counter?: () => bigint;
  /** CNTFRQ_EL0 value reported to the guest. */
  readonly counterFrequency?: number;
  readonly gic?: GicCpuInterface;
  /**
   * The PE's inner-shareable domain: a TLBI of a broadcast form (the IS and OS forms,
   * Arm ARM D8.13.3) executed here drops the same entries from the other PEs' TLBs
   * through it. Without one, every TLBI is local (a single PE).
   */
  readonly tlbBroadcast?: TlbBroadcast;
  /**
   * The JIT tier: false for the interpreter alone; a threshold (arrivals at a block
   * before it is compiled, 0 = everything at once). Default: tiering.ts jitThreshold()
   * (the GUNYAH_JIT and GUNYAH_JIT_THRESHOLD environment variables). `cacheLimit`
   * bounds the code cache in bytes (jit/tier.ts CACHE_LIMIT by default): each module
   * counts its bytes plus what V8 commits per module, and past the bound every unit is
   * dropped so the modules can be collected. `compile`: how modules are compiled
   * (jit/batch.ts): "sync" on the spot, "async" by V8 in the background, installed at
   * an event loop turn; default tiering.ts jitCompileMode() (GUNYAH_JIT_COMPILE).
   */
  readonly jit?:
    | false
    | {
        readonly threshold: number;
        readonly cacheLimit?: number;
        readonly compile?: "sync" | "async";
      };
}

/**
 * What a compiling execution tier reports (read between runs, never per instruction):
 * guest instructions it ran as compiled code, units (blocks/traces) compiled, time
 * spent compiling, and the bytes its code cache holds now.
 */
export interface JitStats {
  readonly instructions: number;
  readonly units: number;
  readonly compileMs: number;
  readonly codeBytes: number;
  /** Modules reachable now (charged against the cache bound), and times it was emptied. */
  readonly modules: number;
  readonly flushes: number;
  /**
   * Modules compiled in the background (GUNYAH_JIT_COMPILE=async), modules none of
   * whose units were installed because their pages' code changed meanwhile, and
   * background compiles that failed (their units stay interpreted).
   */
  readonly background: number;
  readonly discarded: number;
  readonly failed: number;
  /**
   * Modules compiling in the background now: a synchronous run loop that wants them
   * installed yields to the event loop while this is not 0 (src/exec/process.ts).
   */
  readonly compiling: number;
  /** Why the tier handed the PC back (counts; JitExits). */
  readonly exits: JitExits;
}

/**
 * How often the tier declined or left, by reason: `cold` (the block has not arrived
 * often enough yet), `pending` (its unit waits for a batch), `unsupported` (its first
 * instruction has no code), `runs` (entries from JavaScript into compiled code); and how
 * those runs ended: `miss` (the next PC has no unit, or the budget is spent), `interpret`
 * (a slow path: TLB miss, misaligned or unhandled access), `stale` (the code changed),
 * `exception` (a called-out instruction took one), `sync` (a DAIF write left an
 * interrupt to take). `filled` counts TLB misses of compiled loads and stores that the
 * unit had filled and went on past (jit/tlb-fill.ts), which are no exit at all.
 */
export interface JitExits {
  readonly cold: number;
  readonly pending: number;
  readonly unsupported: number;
  readonly runs: number;
  readonly miss: number;
  readonly interpret: number;
  readonly stale: number;
  readonly exception: number;
  readonly sync: number;
  readonly filled: number;
}

/**
 * What the hypervisor needs from a CPU. The CPU implementation (cpu.ts) implements this
 * interface; the hypervisor programs against it.
 */
export interface Arm64Cpu {
  /** Runs at most `budget` instructions; returns why it stopped. */
  run(budget: number): CpuExit;
  /** Instructions retired since creation (drives deterministic time). */
  readonly instructionsRetired: number;
  /**
   * tiering.ts InterpretOnly bits: compiled code runs only while this is 0. A feature
   * that must see every instruction (debugger, trace, PMU events) sets its bit.
   */
  interpretOnly: number;
  /** Present when a compiling tier runs this CPU's code. */
  readonly jitStats?: JitStats;

  /** Architectural reset: EL1h (system) or EL0 (user), DAIF masked, MMU off, at `pc`. */
  reset(pc: number): void;
  getX(index: number): bigint;
  setX(index: number, value: bigint): void;
  pc: number;
  /** SP of the current exception level. */
  getSp(): bigint;
  setSp(value: bigint): void;
  /** NZCV in bits 31:28, as in the NZCV system register. */
  readonly nzcv: number;
  readonly currentEl: number;

  /** After a stage2-abort read with a valid syndrome: write the value and step past. */
  completeMmioRead(value: bigint): void;
  /** After a stage2-abort write (or a read whose result is discarded): step past. */
  completeMmio(): void;
  /** Delivers a synchronous external abort for the aborting access to the guest's EL1. */
  injectExternalAbort(abort: Stage2Abort): void;

  /** Level of the IRQ and FIQ lines from the virtual GIC. */
  setIrqLine(level: boolean): void;
  setFiqLine(level: boolean): void;
  /** Generic timer outputs now: bit 0 virtual timer (PPI 11), bit 1 EL1 physical timer (PPI 14). */
  timerOutputs(): number;
  /** The earliest counter value at which an enabled, unmasked timer fires, if any. */
  nextTimerDeadline(): bigint | undefined;

  /** Drops every cached stage-2 translation (the hypervisor changed a mapping). */
  invalidateStage2(): void;

  /**
   * Drops stage-1 TLB entries as a broadcast TLBI of another PE in the same
   * shareability domain does: every entry, or (with `page`) those of one VA page, given
   * as the low and high words of its address. Absent on a CPU that caches no
   * translation.
   */
  invalidateTlb?(page?: { readonly lo: number; readonly hi: number }): void;

  /** gunyah-ts debug extension: arms an external debugger's events on this CPU. */
  /** Absent on a CPU without debug support (the hypervisor then refuses debug calls). */
  setExternalDebug?(config: ExternalDebugConfig): void;
  /** gunyah-ts debug extension: registers and virtual memory for a debugger. */
  readonly debugAccess?: DebugAccessPort;
}

/** A shareability domain's broadcast of TLB maintenance (CpuOptions.tlbBroadcast). */
export interface TlbBroadcast {
  /** `from` executed a broadcast TLBI: every other PE drops the same entries. */
  invalidateOthers(from: object, page?: { readonly lo: number; readonly hi: number }): void;
}

/** Registers by GDB's AArch64 number and memory by VA (arch/arm64/debug-access.ts). */
export interface DebugAccessPort {
  readRegister(reg: number): bigint | undefined;
  writeRegister(reg: number, value: bigint): boolean;
  read(va: number, length: number): { data: Uint8Array; stop?: DebugTranslationResult };
  write(va: number, data: Uint8Array): { written: number; stop?: DebugTranslationResult };
}

/** Why a debugger access stopped: no translation, or an IPA stage 2 does not back. */
export type DebugTranslationResult =
  | { readonly kind: "ok" }
  | { readonly kind: "unmapped" }
  | { readonly kind: "stage2"; readonly ipa: number };
