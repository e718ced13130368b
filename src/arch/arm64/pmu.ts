// PMUv3 as the Cortex-A57 has it (Arm ARM D11, "The Performance Monitors Extension";
// Cortex-A57 TRM 11): PMCR_EL0 with N = 6 event counters, the 64-bit cycle counter
// PMCCNTR_EL0 with PMCCFILTR_EL0, PMEVCNTR<n>/PMEVTYPER<n>, enable, overflow and
// interrupt-enable sets, PMSWINC, PMUSERENR_EL0 and CHAIN (event 0x1E) on odd counters.
//
// Counting is exact and deterministic: it derives from instructions retired, which
// both execution tiers keep exact. INST_RETIRED counts them; CPU_CYCLES and the cycle
// counter count one cycle per instruction (1 IPC, as QEMU does under -icount shift=0);
// BR_RETIRED, LD_RETIRED and ST_RETIRED are counted by the interpreter, which the
// JIT tier leaves alone while such a counter is armed (InterpretOnly.PMU_EVENTS).
// Counters are folded in lazily: on every PMU register access, at every exception
// entry and return (so the EL filters see the EL each instruction ran at) and at the
// end of each run slice; the run slice is cut at the next overflow so the interrupt
// (PPI 7, INTID 23, a level) is raised on time.

import { InterpretOnly } from "./tiering.js";

/** Event numbers implemented (PMCEID0/1 list exactly these). */
export const PmuEvent = {
  SW_INCR: 0x00,
  LD_RETIRED: 0x06,
  ST_RETIRED: 0x07,
  INST_RETIRED: 0x08,
  CPU_CYCLES: 0x11,
  CHAIN: 0x1e,
  BR_RETIRED: 0x21,
} as const;

/** Event counters (PMCR_EL0.N), as the Cortex-A57. */
export const PMU_COUNTERS = 6;
const CYCLE_BIT = 0x8000_0000;
const COUNTER_MASK = CYCLE_BIT | ((1 << PMU_COUNTERS) - 1);
/** PMCR_EL0: IMP 0x41 (Arm), IDCODE 0x01, N = 6 (Cortex-A57 TRM 11.4.1). */
const PMCR_ID = (0x41 << 24) | (0x01 << 16) | (PMU_COUNTERS << 11);
/** Writable PMCR bits: E, D, X, DP, LC (P and C are write-one actions). */
const PMCR_RW = 0x1 | 0x8 | 0x10 | 0x20 | 0x40;
const PMCR = { E: 1, P: 2, C: 4, D: 8, LC: 0x40 } as const;
/** PMEVTYPER/PMCCFILTR: P (no EL1), U (no EL0), NSK, NSU, NSH, M; evtCount 15:0. */
const TYPER_RW = 0xfc00_ffff | 0;
const FILTER_RW = 0xfc00_0000 | 0;
/** PMUSERENR_EL0 bits: EN, SW, CR, ER. */
export const UserEn = { EN: 1, SW: 2, CR: 4, ER: 8 } as const;

/** PMCEID0_EL0 (events 0x00-0x1F) and PMCEID1_EL0 (0x20-0x3F) for the events above. */
export const PMCEID0 =
  (1 << PmuEvent.SW_INCR) |
  (1 << PmuEvent.LD_RETIRED) |
  (1 << PmuEvent.ST_RETIRED) |
  (1 << PmuEvent.INST_RETIRED) |
  (1 << PmuEvent.CPU_CYCLES) |
  (1 << PmuEvent.CHAIN);
export const PMCEID1 = 1 << (PmuEvent.BR_RETIRED - 0x20);

/** What the CPU gives the PMU: instructions retired so far, the EL, and event tallies. */
export interface PmuSource {
  liveInstructions(): number;
  readonly el: number;
  /** Running tallies the interpreter keeps while InterpretOnly.PMU_EVENTS is set
   * (BR, LD, ST, and the last instruction's class). */
  readonly pmuTally: Float64Array;
  interpretOnly: number;
  /** Set to make the interpreter re-read its per-run flags (the tally switch). */
  irqCheck: boolean;
  /** The overflow interrupt's level changed (to the GIC's PPI 7). */
  pmuInterrupt(level: boolean): void;
  /** Ends the current run soon, so the next one is cut at the (new) overflow point. */
  pmuReplan(): void;
}

/** Indices into PmuSource.pmuTally. */
export const Tally = { BR: 0, LD: 1, ST: 2 } as const;

const TWO32 = 4294967296;

export class Pmu {
  pmcr = 0;
  cntEn = 0;
  intEn = 0;
  ovs = 0;
  userEn = 0;
  selr = 0;
  ccfiltr = 0;
  readonly evtyper = new Array<number>(PMU_COUNTERS).fill(0);
  /** Event counters, 32-bit unsigned values held in numbers. */
  readonly evcnt = new Array<number>(PMU_COUNTERS).fill(0);
  /** The cycle counter as two 32-bit halves. */
  ccLo = 0;
  ccHi = 0;
  /** Source values at the last fold. */
  private lastInsns = 0;
  private readonly lastTally = new Float64Array(3);
  private irqOut = false;

  constructor(private readonly src: PmuSource) {}

  reset(): void {
    this.pmcr = this.cntEn = this.intEn = this.ovs = this.userEn = this.selr = 0;
    this.ccfiltr = this.ccLo = this.ccHi = 0;
    this.evtyper.fill(0);
    this.evcnt.fill(0);
    this.rebase();
    this.updateTier();
    this.updateIrq();
  }

  /** True while any counter counts: the CPU then folds at EL changes and slice ends. */
  get active(): boolean {
    return (this.pmcr & PMCR.E) !== 0 && (this.cntEn & COUNTER_MASK) !== 0;
  }

  /** The overflow interrupt's level (PMINTENSET & PMOVSSET), PPI 7. */
  get irqLevel(): boolean {
    return (this.intEn & this.ovs & COUNTER_MASK) !== 0;
  }

  /** Folds everything counted since the last fold into the counters (at the current EL). */
  sync(): void {
    const insns = this.src.liveInstructions();
    const tally = this.src.pmuTally;
    if (this.active) {
      const d = insns - this.lastInsns;
      const deltas = [
        tally[0]! - this.lastTally[0]!,
        tally[1]! - this.lastTally[1]!,
        tally[2]! - this.lastTally[2]!,
      ];
      if (d > 0 || deltas.some((x) => x > 0)) this.count(d, deltas);
    }
    this.lastInsns = insns;
    this.lastTally.set(tally.subarray(0, 3));
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.irqLevel;
    if (level === this.irqOut) return;
    this.irqOut = level;
    this.src.pmuInterrupt(level);
  }

  /** PMOVSSET_EL0 / PMOVSCLR_EL0. */
  setOverflow(bits: number, on: boolean): void {
    this.sync();
    bits &= COUNTER_MASK;
    this.ovs = on ? this.ovs | bits : this.ovs & ~bits;
    this.updateIrq();
  }

  /** PMINTENSET_EL1 / PMINTENCLR_EL1. */
  setInterruptEnables(bits: number, on: boolean): void {
    this.sync();
    bits &= COUNTER_MASK;
    this.intEn = on ? this.intEn | bits : this.intEn & ~bits;
    this.updateIrq();
  }

  /** Forgets what happened since the last fold (after a write that restarts counting). */
  private rebase(): void {
    this.lastInsns = this.src.liveInstructions();
    this.lastTally.set(this.src.pmuTally.subarray(0, 3));
  }

  private filtered(typer: number): boolean {
    // P (bit 31) filters EL1, U (bit 30) EL0; Non-secure EL1/EL0 only (NSK/NSU equal P/U).
    return this.src.el === 0 ? (typer & 0x4000_0000) !== 0 : typer < 0;
  }

  private count(insns: number, deltas: readonly number[]): void {
    if ((this.cntEn & CYCLE_BIT) !== 0 && !this.filtered(this.ccfiltr)) {
      // PMCR.D: count every 64th cycle. Cycles = instructions (1 IPC).
      const cycles = (this.pmcr & PMCR.D) !== 0 ? Math.floor(insns / 64) : insns;
      this.addCycles(cycles);
    }
    for (let n = 0; n < PMU_COUNTERS; n++) {
      if ((this.cntEn & (1 << n)) === 0) continue;
      const typer = this.evtyper[n]!;
      if (this.filtered(typer)) continue;
      const amount = this.eventAmount(typer & 0xffff, insns, deltas);
      if (amount > 0) this.addEvent(n, amount);
    }
  }

  private eventAmount(event: number, insns: number, deltas: readonly number[]): number {
    switch (event) {
      case PmuEvent.INST_RETIRED:
      case PmuEvent.CPU_CYCLES:
        return insns;
      case PmuEvent.BR_RETIRED:
        return deltas[Tally.BR]!;
      case PmuEvent.LD_RETIRED:
        return deltas[Tally.LD]!;
      case PmuEvent.ST_RETIRED:
        return deltas[Tally.ST]!;
      default:
        return 0; // SW_INCR counts only by PMSWINC; CHAIN by its even neighbour.
    }
  }

  private addCycles(cycles: number): void {
    const lo = this.ccLo + cycles;
    const carry = Math.floor(lo / TWO32);
    this.ccLo = lo % TWO32;
    // Without PMCR.LC the overflow is at 32 bits (D11.5.2), else at 64.
    if ((this.pmcr & PMCR.LC) === 0) {
      if (carry > 0) this.ovs |= CYCLE_BIT;
      this.ccHi = (this.ccHi + carry) % TWO32;
    } else {
      const hi = this.ccHi + carry;
      if (hi >= TWO32) this.ovs |= CYCLE_BIT;
      this.ccHi = hi % TWO32;
    }
  }

  /** Adds to event counter n; an overflow sets its PMOVS bit and feeds a CHAIN on n+1. */
  private addEvent(n: number, amount: number): void {
    const v = this.evcnt[n]! + amount;
    this.evcnt[n] = v % TWO32;
    const wraps = Math.floor(v / TWO32);
    if (wraps === 0) return;
    const next = n + 1;
    const chained =
      (n & 1) === 0 &&
      next < PMU_COUNTERS &&
      (this.evtyper[next]! & 0xffff) === PmuEvent.CHAIN &&
      (this.cntEn & (1 << next)) !== 0;
    // Each counter's wrap sets its own PMOVS bit; an odd neighbour counting CHAIN
    // also counts it (a chained pair is one 64-bit counter).
    this.ovs |= 1 << n;
    if (chained) this.addEvent(next, wraps);
  }

  /** PMSWINC_EL0: each set bit increments an enabled counter counting SW_INCR. */
  softwareIncrement(bits: number): void {
    this.sync();
    if ((this.pmcr & PMCR.E) === 0) return;
    for (let n = 0; n < PMU_COUNTERS; n++) {
      if ((bits & (1 << n)) === 0 || (this.cntEn & (1 << n)) === 0) continue;
      if ((this.evtyper[n]! & 0xffff) !== PmuEvent.SW_INCR) continue;
      this.addEvent(n, 1);
    }
    this.updateIrq();
  }

  /** Instructions until the first enabled instruction-based counter overflows (or Infinity). */
  instructionsToOverflow(): number {
    if (!this.active) return Infinity;
    let best = Infinity;
    if ((this.cntEn & CYCLE_BIT) !== 0 && (this.pmcr & PMCR.LC) === 0 && (this.pmcr & PMCR.D) === 0)
      best = TWO32 - this.ccLo;
    for (let n = 0; n < PMU_COUNTERS; n++) {
      if ((this.cntEn & (1 << n)) === 0) continue;
      const e = this.evtyper[n]! & 0xffff;
      if (e === PmuEvent.INST_RETIRED || e === PmuEvent.CPU_CYCLES)
        best = Math.min(best, TWO32 - this.evcnt[n]!);
    }
    return best;
  }

  // ---- register writes (the sysreg rows call sync() first) ----

  writePmcr(v: number): void {
    this.sync();
    if ((v & PMCR.P) !== 0) this.evcnt.fill(0);
    if ((v & PMCR.C) !== 0) this.ccLo = this.ccHi = 0;
    this.pmcr = v & PMCR_RW;
    this.rebase();
    this.updateTier();
    this.replan();
  }

  readPmcr(): number {
    return (PMCR_ID | this.pmcr) >>> 0;
  }

  setEnables(bits: number, on: boolean): void {
    this.sync();
    bits &= COUNTER_MASK;
    this.cntEn = on ? this.cntEn | bits : this.cntEn & ~bits;
    this.rebase();
    this.updateTier();
    this.replan();
  }

  writeTyper(n: number, v: number): void {
    this.sync();
    this.evtyper[n] = v & TYPER_RW;
    this.rebase();
    this.updateTier();
    this.replan();
  }

  writeFilter(v: number): void {
    this.sync();
    this.ccfiltr = v & FILTER_RW;
  }

  /** A counter value or the counting set changed: the run stops at the new overflow point. */
  replan(): void {
    if (this.active) this.src.pmuReplan();
  }

  /** The counter PMSELR_EL0.SEL selects (31 = the cycle counter's filter), or undefined. */
  get selected(): number | undefined {
    const sel = this.selr & 31;
    return sel < PMU_COUNTERS || sel === 31 ? sel : undefined;
  }

  /**
   * Keeps the JIT tier out while a counter counts an event only the interpreter sees
   * (tiering.ts). INST_RETIRED and CPU_CYCLES need no bit: both tiers keep
   * instructionsRetired exact.
   */
  private updateTier(): void {
    let needs = false;
    if ((this.pmcr & PMCR.E) !== 0) {
      for (let n = 0; n < PMU_COUNTERS; n++) {
        if ((this.cntEn & (1 << n)) === 0) continue;
        const e = this.evtyper[n]! & 0xffff;
        if (e === PmuEvent.BR_RETIRED || e === PmuEvent.LD_RETIRED || e === PmuEvent.ST_RETIRED)
          needs = true;
      }
    }
    const src = this.src;
    const before = src.interpretOnly;
    src.interpretOnly = needs
      ? before | InterpretOnly.PMU_EVENTS
      : before & ~InterpretOnly.PMU_EVENTS;
    // The interpreter reads the tally switch when it (re)enters its loop.
    if (src.interpretOnly !== before) src.irqCheck = true;
  }
}

/** Bits of an instruction's class for BR/LD/ST_RETIRED, by its decoded op (decode/ops.ts). */
const CLASS_BR = 1;
const CLASS_LD = 2;
const CLASS_ST = 4;

function classOf(op: number, insn: number): number {
  if (op >= 22 && op <= 31) return CLASS_BR; // B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR, RET
  switch (op) {
    case 35: // LDR_UIMM
    case 37: // LDP
    case 39: // LDR_IMM9
    case 41: // LDR_REG
    case 192: // LDRS64_UIMM
    case 193:
    case 195:
    case 196:
    case 197:
    case 198:
    case 200: // LDR_LIT
    case 201: // LDPSW
    case 203: // LDXR
    case 205: // LDXP
    case 207: // LDAR
    case 212: // LDAPR
    case 256: // FP_LDR_UIMM
    case 258:
    case 260:
    case 262:
    case 263:
      return CLASS_LD;
    case 36: // STR_UIMM
    case 38: // STP
    case 40: // STR_IMM9
    case 42: // STR_REG
    case 202: // STXR
    case 204: // STXP
    case 206: // STLR
    case 257: // FP_STR_UIMM
    case 259:
    case 261:
    case 264:
      return CLASS_ST;
    case 208: // CAS, CASP, LSE atomics, SWP: a load and a store
    case 209:
    case 210:
    case 211:
      return CLASS_LD | CLASS_ST;
    case 265: // SIMD LD/ST multiple and single structure: L is bit 22
    case 266:
      return (insn & (1 << 22)) !== 0 ? CLASS_LD : CLASS_ST;
    default:
      return 0;
  }
}

/**
 * Called by the interpreter for each instruction it dispatches while
 * InterpretOnly.PMU_EVENTS is set: adds it to the running tallies (pmuTally[0..2])
 * and remembers its class in pmuTally[3] so an instruction that aborts is taken back.
 */
export function tallyInstruction(tally: Float64Array, op: number, insn: number): void {
  const c = classOf(op, insn);
  tally[3] = c;
  if (c === 0) return;
  if ((c & CLASS_BR) !== 0) tally[0] = tally[0]! + 1;
  if ((c & CLASS_LD) !== 0) tally[1] = tally[1]! + 1;
  if ((c & CLASS_ST) !== 0) tally[2] = tally[2]! + 1;
}

/** The dispatched instruction aborted (it did not retire): undo its tally. */
export function untallyAborted(tally: Float64Array): void {
  const c = tally[3]!;
  tally[3] = 0;
  if ((c & CLASS_BR) !== 0) tally[0] = tally[0]! - 1;
  if ((c & CLASS_LD) !== 0) tally[1] = tally[1]! - 1;
  if ((c & CLASS_ST) !== 0) tally[2] = tally[2]! - 1;
}
