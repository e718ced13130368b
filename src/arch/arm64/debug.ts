// Debug events: the guest's own self-hosted debug (Arm ARM D2: breakpoints, watchpoints,
// software step, the OS lock) and an external debugger's breakpoints, watchpoints and
// single step (`gunyah run --gdb`, through the hypervisor's debug extension). Both are
// checked only while `cpu.interpretOnly` has DEBUGGER or GUEST_DEBUG set: run() then
// takes `executeDebug` (debug-loop.ts), one instruction at a time with the checks at
// each boundary, and the memory unit checks watchpoints in its slow path (watched
// pages are never entered in the TLB). With nothing armed no code here runs.
//
// Where the architecture leaves a choice, this follows QEMU (target/arm/debug_helper.c)
// so that bare-metal tests can compare the two: breakpoints match the whole DBGBVR with
// bits [1:0] clear when BAS != 0; watchpoints with MASK watch the aligned block, else
// the first run of BAS bytes; FAR of a watchpoint is max(access, watched start).

import type { CpuState as Cpu, DebugState } from "./state.js";
import type { ExternalDebugConfig } from "./port.js";
import { toSignedNumber } from "./bits.js";
import { InterpretOnly } from "./tiering.js";
import { slotOf } from "./sysfile.js";
import { EC, VECTOR, abortInstruction, esrOf } from "./fault.js";

/** Breakpoint and watchpoint pairs ID_AA64DFR0_EL1 advertises (BRPs = 5, WRPs = 3). */
export const GUEST_BREAKPOINTS = 6;
export const GUEST_WATCHPOINTS = 4;

const MDSCR_SS = 1;
const MDSCR_KDE = 1 << 13;
const MDSCR_MDE = 1 << 15;
/** IFSC/DFSC "debug exception" (ESR ISS bits 5:0). */
const FSC_DEBUG = 0x22;

export const DebugEc = {
  BREAKPOINT_LOWER: 0x30,
  BREAKPOINT_CURRENT: 0x31,
  STEP_LOWER: 0x32,
  STEP_CURRENT: 0x33,
  WATCHPOINT_LOWER: 0x34,
  WATCHPOINT_CURRENT: 0x35,
} as const;

interface Watch {
  start: number;
  end: number;
  read: boolean;
  write: boolean;
}

interface GuestWatch extends Watch {
  ctrl: number;
}

const SLOT = {
  mdscr: slotOf("MDSCR_EL1"),
  osdlr: slotOf("OSDLR_EL1"),
};

/** Storage slots of DBGBVR<n>, DBGBCR<n>, DBGWVR<n>, DBGWCR<n> (op2 4..7). */
export function debugRegisterSlot(op2: number, n: number): number {
  return slotOf(`DBG${op2}_${n}`);
}

const TWO32 = 4294967296;

export class DebugUnit implements DebugState {
  // External debugger.
  private readonly extBreaks = new Set<number>();
  private extWatches: Watch[] = [];
  extStep = false;
  // The guest's registers, decoded when written.
  private guestBreaks: { pc: number; ctrl: number }[] = [];
  private guestWatches: GuestWatch[] = [];
  private mdscr = 0;
  /** Any watchpoint the memory unit must check (external, or guest's with MDE). */
  watchArmed = false;
  /** Set by exception entry and return while the debug loop runs one instruction. */
  pstateEvent = 0;
  /** A stepped HVC/SMC/WFI completed: the step exception still to come has ISV = 1. */
  steppedPending = false;

  constructor(private readonly cpu: Cpu) {}

  get stepEnabled(): boolean {
    return (this.mdscr & MDSCR_SS) !== 0;
  }

  /** The external debugger's new configuration (the vCPU is not running). */
  configure(config: ExternalDebugConfig): void {
    this.extBreaks.clear();
    for (const pc of config.breakpoints) this.extBreaks.add(pc);
    this.extWatches = config.watchpoints
      .filter((w) => w.length > 0 && (w.read || w.write))
      .map((w) => ({ start: w.address, end: w.address + w.length, read: w.read, write: w.write }));
    this.extStep = config.step;
    this.update();
  }

  /** Re-reads MDSCR_EL1 and the breakpoint/watchpoint registers after a guest write. */
  refresh(): void {
    const sys = this.cpu.sys;
    this.mdscr = sys.lo[SLOT.mdscr]!;
    this.guestBreaks = [];
    for (let n = 0; n < GUEST_BREAKPOINTS; n++) {
      const ctrl = sys.lo[debugRegisterSlot(5, n)]!;
      const bt = (ctrl >>> 20) & 15;
      // E set, an unlinked address match (BT 0b0000), BAS not 0 (QEMU's
      // hw_breakpoint_update; linked and context types generate no events here).
      if ((ctrl & 1) === 0 || bt !== 0 || ((ctrl >>> 5) & 15) === 0) continue;
      const s = debugRegisterSlot(4, n);
      let pc = toSignedNumber(sys.lo[s]! & ~3, sys.hi[s]!);
      if (((ctrl >>> 5) & 15) === 0xc) pc += 2;
      this.guestBreaks.push({ pc, ctrl });
    }
    this.guestWatches = [];
    for (let n = 0; n < GUEST_WATCHPOINTS; n++) {
      const w = decodeWatch(sys.lo[debugRegisterSlot(7, n)]!, sys, debugRegisterSlot(6, n));
      if (w) this.guestWatches.push(w);
    }
    this.update();
  }

  private update(): void {
    const cpu = this.cpu;
    const mde = (this.mdscr & MDSCR_MDE) !== 0;
    const guestLive =
      (this.mdscr & MDSCR_SS) !== 0 ||
      (mde && (this.guestBreaks.length > 0 || this.guestWatches.length > 0));
    const external = this.extBreaks.size > 0 || this.extWatches.length > 0 || this.extStep;
    let bits = cpu.interpretOnly & ~(InterpretOnly.DEBUGGER | InterpretOnly.GUEST_DEBUG);
    if (guestLive) bits |= InterpretOnly.GUEST_DEBUG;
    if (external) bits |= InterpretOnly.DEBUGGER;
    cpu.interpretOnly = bits;
    const watch = this.extWatches.length > 0 || (mde && this.guestWatches.length > 0);
    // Watched pages must leave the TLB so that every access reaches the slow path.
    if (watch || this.watchArmed) cpu.mem.flush();
    this.watchArmed = watch;
    // Leave the fast loop at once: run() picks the loop again for the next instruction.
    cpu.irqCheck = true;
  }

  /**
   * AArch64.GenerateDebugExceptionsFrom (D2.10.2) for the current EL and PSTATE.D, no
   * EL2/EL3: the OS lock or the OS double lock disable everything; at EL1 MDSCR.KDE
   * must be set and PSTATE.D clear; from EL0 debug exceptions go to EL1.
   */
  enabledFrom(el: number, dMask: boolean): boolean {
    const cpu = this.cpu;
    if (cpu.osLock !== 0 || (cpu.sys.lo[SLOT.osdlr]! & 1) !== 0) return false;
    if (el === 1) return (this.mdscr & MDSCR_KDE) !== 0 && !dMask;
    return true;
  }

  enabledNow(): boolean {
    return this.enabledFrom(this.cpu.el, (this.cpu.daif & 0x200) !== 0);
  }

  /** An external breakpoint at the PC: the run stops before the instruction. */
  externalBreakpoint(pc: number): boolean {
    return this.extBreaks.size > 0 && this.extBreaks.has(pc);
  }

  /** A guest hardware breakpoint matching the PC (MDE, debug enabled, EL filter). */
  guestBreakpoint(pc: number): boolean {
    if (this.guestBreaks.length === 0 || (this.mdscr & MDSCR_MDE) === 0) return false;
    if (!this.enabledNow()) return false;
    for (const b of this.guestBreaks)
      if (b.pc === pc && elMatches(b.ctrl, this.cpu.el)) return true;
    return false;
  }

  /**
   * Checks a data access of `size` bytes at (lo, hi) against every armed watchpoint,
   * before the access is performed. An external hit ends the run; a guest hit takes
   * the Watchpoint exception. Either way the instruction does not complete.
   */
  checkWatch(lo: number, hi: number, size: number, isWrite: boolean, el: number): void {
    const start = toSignedNumber(lo, hi);
    const end = start + size;
    const cpu = this.cpu;
    for (const w of this.extWatches) {
      if (start < w.end && end > w.start && (isWrite ? w.write : w.read)) {
        const address = Math.max(start, w.start);
        cpu.exitWith({
          kind: "debug",
          stop: { reason: "watchpoint", pc: cpu.pc, address, isWrite },
        });
      }
    }
    if (this.guestWatches.length === 0 || (this.mdscr & MDSCR_MDE) === 0 || !this.enabledNow())
      return;
    for (const w of this.guestWatches) {
      if (start < w.end && end > w.start && (isWrite ? w.write : w.read) && elMatches(w.ctrl, el)) {
        const far = Math.max(start, w.start);
        const ec = cpu.el === 0 ? DebugEc.WATCHPOINT_LOWER : DebugEc.WATCHPOINT_CURRENT;
        cpu.enterException(
          VECTOR.SYNC,
          esrOf(ec, (isWrite ? 1 << 6 : 0) | FSC_DEBUG),
          cpu.pc,
          far | 0,
          Math.floor(far / TWO32) | 0,
        );
        abortInstruction();
      }
    }
  }

  /** Whether a page (VA of its first byte) holds a watched byte: it stays out of the TLB. */
  pageWatched(pageStart: number): boolean {
    const end = pageStart + 4096;
    for (const w of this.extWatches) if (pageStart < w.end && end > w.start) return true;
    if ((this.mdscr & MDSCR_MDE) === 0) return false;
    for (const w of this.guestWatches) if (pageStart < w.end && end > w.start) return true;
    return false;
  }

  /** The Breakpoint exception (EC 0x30/0x31); FAR is UNKNOWN, QEMU writes 0. */
  takeBreakpoint(): void {
    const cpu = this.cpu;
    const ec = cpu.el === 0 ? DebugEc.BREAKPOINT_LOWER : DebugEc.BREAKPOINT_CURRENT;
    cpu.enterException(VECTOR.SYNC, esrOf(ec, FSC_DEBUG), cpu.pc, 0, 0);
  }

  /**
   * The Software Step exception (EC 0x32/0x33), preferred return = the PC. ISV says
   * whether an instruction was stepped; EX whether it was a load-exclusive.
   */
  takeStep(stepped: boolean, exclusive: boolean): void {
    const cpu = this.cpu;
    const ec = cpu.el === 0 ? DebugEc.STEP_LOWER : DebugEc.STEP_CURRENT;
    const iss = (stepped ? 1 << 24 : 0) | (stepped && exclusive ? 1 << 6 : 0) | FSC_DEBUG;
    cpu.enterException(VECTOR.SYNC, esrOf(ec, iss), cpu.pc);
  }

  /**
   * PSTATE.SS after ERET (DebugExceptionReturnSS): SPSR.SS only when step is disabled
   * where the ERET runs and enabled at its target, else 0.
   */
  returnSs(spsr: number, targetEl: number): number {
    if (!this.stepEnabled) return 0;
    const atSource = this.enabledNow();
    const atDest = this.enabledFrom(targetEl, (spsr & 0x200) !== 0);
    return !atSource && atDest ? (spsr >>> 21) & 1 : 0;
  }
}

/** PMC (bits 2:1): bit 1 matches EL1, bit 2 EL0; SSC 0b10 (Secure only) never matches. */
function elMatches(ctrl: number, el: number): boolean {
  if (((ctrl >>> 14) & 3) === 2) return false;
  return (ctrl & (el === 0 ? 4 : 2)) !== 0;
}

/** A DBGWCR/DBGWVR pair as the watched byte range (QEMU's hw_watchpoint_update). */
function decodeWatch(
  ctrl: number,
  sys: { lo: Int32Array; hi: Int32Array },
  slot: number,
): GuestWatch | undefined {
  if ((ctrl & 1) === 0) return undefined;
  const lsc = (ctrl >>> 3) & 3;
  if (lsc === 0) return undefined;
  const mask = (ctrl >>> 24) & 31;
  let start = toSignedNumber(sys.lo[slot]! & ~3, sys.hi[slot]!);
  let length: number;
  if (mask === 1 || mask === 2) return undefined;
  if (mask !== 0) {
    length = 2 ** mask;
    start = Math.floor(start / length) * length;
  } else {
    let bas = (ctrl >>> 5) & 0xff;
    if ((sys.lo[slot]! & 4) !== 0) bas &= 0xf;
    if (bas === 0) return undefined;
    let first = 0;
    while (((bas >>> first) & 1) === 0) first++;
    length = 0;
    while (((bas >>> (first + length)) & 1) === 1) length++;
    start += first;
  }
  return { start, end: start + length, read: (lsc & 1) !== 0, write: (lsc & 2) !== 0, ctrl };
}

/** Whether an instruction word is a load-exclusive (LDXR, LDAXR, LDXP, LDAXP, all sizes). */
export function isLoadExclusive(insn: number): boolean {
  return (insn & 0x3fc00000) === 0x08400000;
}

export { EC };
