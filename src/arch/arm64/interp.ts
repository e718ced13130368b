// The interpreter loop: fetch through the decoded-page cache, then ONE switch on the
// op number. Hot ops are inline (literal case labels so V8 builds a jump table; each
// is checked against decode/ops.ts by a test); the rest dispatch by op range to the
// group executors in exec/. Faults unwind with INSTRUCTION_ABORTED (fault.ts).

import type { CpuState as Cpu } from "./state.js";
import { tallyInstruction, untallyAborted } from "./pmu.js";
import type { CpuExit } from "./port.js";
import { INSTRUCTION_ABORTED } from "./fault.js";
import type { CodePage } from "./mmu/tlb.js";
import type { JitRunner } from "./state.js";
import { Decoder } from "./decode/decoder.js";
import { INTEGER_ROWS } from "./decode/table.js";
import { SIMD_ROWS } from "./simd/table.js";
import { SIMD_OP_BASE } from "./simd/context.js";
import { R, lsl64, lsr64, asr64, logicalImmediate, toSignedNumber } from "./bits.js";
import {
  adds32,
  adds64,
  add64,
  addImm64,
  shift32,
  shift64,
  conditionHolds,
  setLogicFlags32,
  setLogicFlags64,
} from "./alu.js";
import { execDataProcessing } from "./exec/dp.js";
import { execSystem } from "./exec/system.js";
import { execMemory, execUnprivileged } from "./exec/ldst.js";
import { execFpMemory } from "./exec/fpmem.js";
import { loadGpr, storeGpr } from "./exec/gpr.js";
import { execSimd } from "./exec/simd.js";
import { executeDebug } from "./debug-loop.js";
import { InterpretOnly } from "./tiering.js";

/** Reasons that need the checks at every instruction boundary (debug-loop.ts). */
const DEBUG_LOOP = InterpretOnly.DEBUGGER | InterpretOnly.GUEST_DEBUG;

let decoder: Decoder | undefined;

/** The decoder built from every row (integer + SIMD), shared by all CPUs. */
export function getDecoder(): Decoder {
  decoder ??= new Decoder([...INTEGER_ROWS, ...SIMD_ROWS]);
  return decoder;
}

const BUDGET_EXIT: CpuExit = Object.freeze({ kind: "budget" });
const TWO32 = 4294967296;

export function run(cpu: Cpu, budget: number): CpuExit {
  cpu.exit = undefined;
  cpu.checkInterrupts();
  const left = Math.max(0, Math.floor(budget));
  return cpu.jit === undefined ? runInterpreted(cpu, left) : runTiered(cpu, cpu.jit, left);
}

function runInterpreted(cpu: Cpu, budget: number): CpuExit {
  let left = budget;
  while (left > 0) {
    cpu.sliceBudget = left;
    cpu.sliceLeft = left;
    let n: number;
    try {
      n =
        (cpu.interpretOnly & DEBUG_LOOP) === 0
          ? execute(cpu, left)
          : executeDebug(cpu, left, execute);
    } catch (e) {
      if (e !== INSTRUCTION_ABORTED) throw e;
      // The aborted instruction used one unit of budget, so a fault loop still ends.
      n = cpu.sliceLeft - 1;
      // It did not retire: the PMU's event tallies take it back.
      if ((cpu.interpretOnly & InterpretOnly.PMU_EVENTS) !== 0) untallyAborted(cpu.pmuTally);
    }
    cpu.instructionsRetired += left - n;
    cpu.sliceBudget = cpu.sliceLeft = 0;
    left = n;
    const exit = cpu.exit;
    if (exit !== undefined) {
      cpu.exit = undefined;
      return exit;
    }
    if (cpu.irqCheck) {
      cpu.irqCheck = false;
      cpu.checkInterrupts();
    }
  }
  return BUDGET_EXIT;
}

/**
 * The run loop with the JIT tier: compiled units first (tiering.ts: only while
 * nothing observes every instruction); what a unit leaves (INTERPRET: one
 * instruction; no unit here: on to the next branch) the interpreter runs.
 *
 * Determinism: `instructionsRetired` is what the guest's clock reads (hyp/time.ts),
 * and the interpreter alone updates it only when execute() returns for an exit, an
 * exception, an interrupt check or the budget's end. This loop publishes the
 * instructions it retires at exactly those points (`pending` holds the rest, and
 * liveInstructions() stays exact through sliceBudget), so a guest reads the same
 * times with the JIT as without.
 */
function runTiered(cpu: Cpu, jit: JitRunner, budget: number): CpuExit {
  let left = budget;
  let pending = 0;
  while (left > 0) {
    let chunk = left;
    let stop = false;
    if (cpu.interpretOnly === 0) {
      const done = jit.enter(cpu, left);
      if (done > 0) {
        pending += done;
        left -= done;
        if (jit.synced > 0) {
          // Compiled code wrote DAIF, where the interpreter's execute() returns and
          // the count is published: the guest clock reads the same either way.
          const after = done - jit.synced;
          cpu.instructionsRetired += pending - after;
          pending = after;
          jit.synced = 0;
        }
        if (jit.excepted) {
          // A called-out instruction took an exception or exit, where the interpreter
          // would have returned from execute().
          jit.excepted = false;
          cpu.instructionsRetired += pending;
          pending = 0;
          const exit = cpu.exit;
          if (exit !== undefined) {
            cpu.exit = undefined;
            return exit;
          }
          if (cpu.irqCheck) {
            cpu.irqCheck = false;
            cpu.checkInterrupts();
          }
        }
        if (!jit.interpretNext) continue;
      }
      if (left <= 0) break;
      if (jit.interpretNext) {
        jit.interpretNext = false;
        chunk = 1;
      } else stop = true;
    }
    cpu.sliceBudget = chunk + pending;
    cpu.sliceLeft = chunk;
    let n: number;
    let aborted = false;
    try {
      n =
        (cpu.interpretOnly & DEBUG_LOOP) === 0
          ? execute(cpu, chunk, stop)
          : executeDebug(cpu, chunk, execute);
    } catch (e) {
      if (e !== INSTRUCTION_ABORTED) throw e;
      n = cpu.sliceLeft - 1;
      aborted = true;
    }
    pending += chunk - n;
    cpu.sliceBudget = cpu.sliceLeft = 0;
    left -= chunk - n;
    const exit = cpu.exit;
    if (aborted || exit !== undefined || cpu.irqCheck) {
      cpu.instructionsRetired += pending;
      pending = 0;
    }
    if (exit !== undefined) {
      cpu.exit = undefined;
      return exit;
    }
    if (cpu.irqCheck) {
      cpu.irqCheck = false;
      cpu.checkInterrupts();
    }
  }
  cpu.instructionsRetired += pending;
  return BUDGET_EXIT;
}

/** Translates the page of the PC for execution and selects its decoded-op cache. */
function refillFetch(cpu: Cpu): void {
  const pc = cpu.pc;
  if ((pc & 3) !== 0) cpu.pcAlignmentFault();
  const lo = pc | 0;
  const hi = Math.floor(pc / TWO32) | 0;
  const mem = cpu.mem;
  const i = mem.xBase | ((lo >>> 12) & 1023);
  if (mem.tagLo[i] !== (lo & -4096) || mem.tagHi[i] !== hi) mem.fetchTranslate(lo, hi); // fills entry i (or faults)
  selectFetchPage(cpu, i, pc);
}

/**
 * Selects the fetch page of the PC if its exec TLB entry is present (never faults):
 * the JIT tier's way into a page the interpreter has not fetched from yet.
 */
export function probeFetch(cpu: Cpu): boolean {
  const pc = cpu.pc;
  if ((pc & 3) !== 0) return false;
  const lo = pc | 0;
  const hi = Math.floor(pc / TWO32) | 0;
  const mem = cpu.mem;
  const i = mem.xBase | ((lo >>> 12) & 1023);
  if (mem.tagLo[i] !== (lo & -4096) || mem.tagHi[i] !== hi) return false;
  selectFetchPage(cpu, i, pc);
  return true;
}

function selectFetchPage(cpu: Cpu, i: number, pc: number): void {
  const mem = cpu.mem;
  cpu.fetchBase = pc - ((pc | 0) & 0xfff);
  cpu.fetchView = mem.views[i]!;
  cpu.fetchAdd = mem.adds[i]!;
  let page = mem.codePages[i];
  if (page === undefined) {
    const ipaPage = mem.ipaPages[i]!;
    page = cpu.decodedPages.get(ipaPage);
    if (page === undefined) {
      if (cpu.decodedPages.size >= 8192) cpu.decodedPages.clear();
      page = { words: new Int32Array(1024), ops: new Uint16Array(1024) } as CodePage;
      cpu.decodedPages.set(ipaPage, page);
    }
    mem.codePages[i] = page;
  }
  cpu.fetchWords = page.words;
  cpu.fetchOps = page.ops;
  cpu.fetchPage = page;
}

/**
 * Runs up to `budget` instructions; with `stop`, returns after a branch unless the
 * JIT tier says its target is still cold (so the tier can look for compiled code
 * there, or compile it).
 */
function execute(cpu: Cpu, budget: number, stop = false): number {
  const xl = cpu.xl;
  const xh = cpu.xh;
  const mem = cpu.mem;
  const dec = getDecoder();
  // The fetch page state lives in locals; anything that can change it (exceptions,
  // ERET, TLB maintenance, EL changes) runs in a group executor, after which the
  // locals are reloaded, or unwinds through run(), which re-enters here.
  let fbase = cpu.fetchBase;
  let fview = cpu.fetchView;
  let fadd = cpu.fetchAdd;
  let fwords = cpu.fetchWords;
  let fops = cpu.fetchOps;
  // The TLB arrays, for the inline fast path of 32/64-bit loads and stores.
  let tagLo = mem.tagLo;
  let tagHi = mem.tagHi;
  let views = mem.views;
  let adds = mem.adds;
  // BR/LD/ST_RETIRED tallies for the PMU, only while a counter needs them.
  const tally = (cpu.interpretOnly & InterpretOnly.PMU_EVENTS) !== 0 ? cpu.pmuTally : undefined;
  let n = budget;
  while (n > 0) {
    cpu.sliceLeft = n;
    n--;
    const pc = cpu.pc;
    let off = pc - fbase;
    if (!(off >= 0 && off < 4096)) {
      refillFetch(cpu);
      fbase = cpu.fetchBase;
      fview = cpu.fetchView;
      fadd = cpu.fetchAdd;
      fwords = cpu.fetchWords;
      fops = cpu.fetchOps;
      off = pc - fbase;
    }
    const insn = fview.getInt32(fadd + off, true);
    const w = off >> 2;
    let op: number;
    if (fwords[w] === insn) op = fops[w]!;
    else {
      op = dec.decode(insn);
      fwords[w] = insn;
      fops[w] = op;
    }
    if (tally !== undefined) tallyInstruction(tally, op, insn);
    const rd = insn & 31;
    const rn = (insn >>> 5) & 31;
    switch (op) {
      case 1 /* ADD_IMM */:
      case 3 /* SUB_IMM */: {
        let imm = (insn >>> 10) & 0xfff;
        if ((insn & 0x400000) !== 0) imm <<= 12;
        const s = rn + ((rn + 1) >> 5);
        const d = rd + ((rd + 1) >> 5);
        const a = xl[s]!;
        if (op === 1) {
          const lo = (a + imm) | 0;
          xh[d] = insn < 0 ? (xh[s]! + (lo >>> 0 < a >>> 0 ? 1 : 0)) | 0 : 0;
          xl[d] = lo;
        } else {
          const lo = (a - imm) | 0;
          xh[d] = insn < 0 ? (xh[s]! - (a >>> 0 < imm ? 1 : 0)) | 0 : 0;
          xl[d] = lo;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 2 /* ADDS_IMM */:
      case 4 /* SUBS_IMM */: {
        let imm = (insn >>> 10) & 0xfff;
        if ((insn & 0x400000) !== 0) imm <<= 12;
        const s = rn + ((rn + 1) >> 5);
        const sub = op === 4;
        if (insn < 0) {
          adds64(cpu, xl[s]!, xh[s]!, sub ? ~imm : imm, sub ? -1 : 0, sub ? 1 : 0);
          if (rd !== 31) {
            xl[rd] = R.lo;
            xh[rd] = R.hi;
          }
        } else {
          const r = adds32(cpu, xl[s]!, sub ? ~imm : imm, sub ? 1 : 0);
          if (rd !== 31) {
            xl[rd] = r;
            xh[rd] = 0;
          }
        }
        cpu.pc = pc + 4;
        break;
      }
      case 5 /* ADD_SREG */:
      case 6 /* ADDS_SREG */:
      case 7 /* SUB_SREG */:
      case 8 /* SUBS_SREG */: {
        const type = (insn >>> 22) & 3;
        const amount = (insn >>> 10) & 0x3f;
        const rm = (insn >>> 16) & 31;
        if (type === 3 || (insn >= 0 && amount >= 32)) cpu.undefinedInstruction();
        const sub = op >= 7;
        const setFlags = op === 6 || op === 8;
        if (insn < 0) {
          shift64(xl[rm]!, xh[rm]!, type, amount);
          let bl = R.lo;
          let bh = R.hi;
          if (sub) {
            bl = ~bl;
            bh = ~bh;
          }
          if (setFlags) adds64(cpu, xl[rn]!, xh[rn]!, bl, bh, sub ? 1 : 0);
          else add64(xl[rn]!, xh[rn]!, bl, bh, sub ? 1 : 0);
          if (rd !== 31) {
            xl[rd] = R.lo;
            xh[rd] = R.hi;
          }
        } else {
          let b = shift32(xl[rm]!, type, amount);
          if (sub) b = ~b;
          const r = setFlags
            ? adds32(cpu, xl[rn]!, b, sub ? 1 : 0)
            : (xl[rn]! + b + (sub ? 1 : 0)) | 0;
          if (rd !== 31) {
            xl[rd] = r;
            xh[rd] = 0;
          }
        }
        cpu.pc = pc + 4;
        break;
      }
      case 9 /* AND_IMM */:
      case 10 /* ORR_IMM */:
      case 11 /* EOR_IMM */:
      case 12 /* ANDS_IMM */: {
        const sf = insn >>> 31;
        if (!logicalImmediate((insn >>> 10) & 0x1fff, sf)) cpu.undefinedInstruction();
        const a = xl[rn]!;
        const ah = xh[rn]!;
        let lo: number;
        let hi: number;
        if (op === 10) {
          lo = a | R.lo;
          hi = ah | R.hi;
        } else if (op === 11) {
          lo = a ^ R.lo;
          hi = ah ^ R.hi;
        } else {
          lo = a & R.lo;
          hi = ah & R.hi;
        }
        if (sf === 0) hi = 0;
        if (op === 12) {
          if (sf) setLogicFlags64(cpu, lo, hi);
          else setLogicFlags32(cpu, lo);
          if (rd !== 31) {
            xl[rd] = lo;
            xh[rd] = hi;
          }
        } else {
          const d = rd + ((rd + 1) >> 5); // AND/ORR/EOR (immediate) may write SP
          xl[d] = lo;
          xh[d] = hi;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 13 /* AND_SREG */:
      case 14 /* ORR_SREG */:
      case 15 /* EOR_SREG */:
      case 16 /* ANDS_SREG */: {
        const type = (insn >>> 22) & 3;
        const amount = (insn >>> 10) & 0x3f;
        const rm = (insn >>> 16) & 31;
        const invert = (insn & 0x200000) !== 0;
        let lo: number;
        let hi: number;
        if (insn < 0) {
          shift64(xl[rm]!, xh[rm]!, type, amount);
          let bl = R.lo;
          let bh = R.hi;
          if (invert) {
            bl = ~bl;
            bh = ~bh;
          }
          const al = xl[rn]!;
          const ah = xh[rn]!;
          if (op === 14) {
            lo = al | bl;
            hi = ah | bh;
          } else if (op === 15) {
            lo = al ^ bl;
            hi = ah ^ bh;
          } else {
            lo = al & bl;
            hi = ah & bh;
          }
          if (op === 16) setLogicFlags64(cpu, lo, hi);
        } else {
          if (amount >= 32) cpu.undefinedInstruction();
          let b = shift32(xl[rm]!, type, amount);
          if (invert) b = ~b;
          const a = xl[rn]!;
          lo = op === 14 ? a | b : op === 15 ? a ^ b : a & b;
          hi = 0;
          if (op === 16) setLogicFlags32(cpu, lo);
        }
        if (rd !== 31) {
          xl[rd] = lo;
          xh[rd] = hi;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 17 /* MOVN */:
      case 18 /* MOVZ */:
      case 19 /* MOVK */: {
        const hw = (insn >>> 21) & 3;
        const sf = insn >>> 31;
        if (sf === 0 && hw >= 2) cpu.undefinedInstruction();
        const imm = (insn >>> 5) & 0xffff;
        const sh = (hw & 1) * 16;
        if (rd !== 31) {
          if (op === 19) {
            const mask = ~(0xffff << sh);
            if (hw < 2) xl[rd] = (xl[rd]! & mask) | (imm << sh);
            else xh[rd] = (xh[rd]! & mask) | (imm << sh);
            if (sf === 0) xh[rd] = 0;
          } else {
            let lo = hw < 2 ? imm << sh : 0;
            let hi = hw < 2 ? 0 : imm << sh;
            if (op === 17) {
              lo = ~lo;
              hi = sf ? ~hi : 0;
            }
            xl[rd] = lo;
            xh[rd] = hi;
          }
        }
        cpu.pc = pc + 4;
        break;
      }
      case 20 /* ADR */:
      case 21 /* ADRP */: {
        const imm = (((insn << 8) >> 13) << 2) | ((insn >>> 29) & 3);
        const v = op === 20 ? pc + imm : pc - (((pc % 4096) + 4096) % 4096) + imm * 4096;
        if (rd !== 31) {
          xl[rd] = (v % TWO32) | 0;
          xh[rd] = Math.floor(v / TWO32) | 0;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 22 /* B */:
        cpu.pc = pc + ((insn << 6) >> 4);
        if (stop && !cpu.jit!.stillCold(cpu)) return n;
        break;
      case 23 /* BL */: {
        const ret = pc + 4;
        xl[30] = (ret % TWO32) | 0;
        xh[30] = Math.floor(ret / TWO32) | 0;
        cpu.pc = pc + ((insn << 6) >> 4);
        if (stop && !cpu.jit!.stillCold(cpu)) return n;
        break;
      }
      case 24 /* B_COND */:
        cpu.pc = conditionHolds(cpu, insn & 15) ? pc + ((insn << 8) >> 13) * 4 : pc + 4;
        if (stop && !cpu.jit!.stillCold(cpu)) return n;
        break;
      case 25 /* CBZ */:
      case 26 /* CBNZ */: {
        const zero = insn < 0 ? (xl[rd]! | xh[rd]!) === 0 : xl[rd] === 0;
        cpu.pc = zero === (op === 25) ? pc + ((insn << 8) >> 13) * 4 : pc + 4;
        if (stop && !cpu.jit!.stillCold(cpu)) return n;
        break;
      }
      case 27 /* TBZ */:
      case 28 /* TBNZ */: {
        const bit = ((insn >>> 26) & 32) | ((insn >>> 19) & 31);
        const set = ((bit < 32 ? xl[rd]! >>> bit : xh[rd]! >>> (bit - 32)) & 1) === 1;
        cpu.pc = set === (op === 28) ? pc + ((insn << 13) >> 18) * 4 : pc + 4;
        if (stop && !cpu.jit!.stillCold(cpu)) return n;
        break;
      }
      case 29 /* BR */:
      case 30 /* BLR */:
      case 31 /* RET */: {
        const target = toSignedNumber(xl[rn]!, xh[rn]!);
        if (op === 30) {
          const ret = pc + 4;
          xl[30] = (ret % TWO32) | 0;
          xh[30] = Math.floor(ret / TWO32) | 0;
        }
        cpu.pc = target;
        if ((target & 3) !== 0) fbase = cpu.fetchBase = NaN;
        if (stop && !cpu.jit!.stillCold(cpu)) return n;
        break;
      }
      case 32 /* UBFM */:
      case 33 /* SBFM */: {
        const sf = insn >>> 31;
        const immr = (insn >>> 16) & 0x3f;
        const imms = (insn >>> 10) & 0x3f;
        if (((insn >>> 22) & 1) !== sf || (sf === 0 && (immr | imms) >= 32))
          cpu.undefinedInstruction();
        if (sf) {
          lsl64(xl[rn]!, xh[rn]!, 63 - imms);
          const shr = imms >= immr ? 63 - imms + immr : 63 - imms;
          if (op === 33) asr64(R.lo, R.hi, shr);
          else lsr64(R.lo, R.hi, shr);
          if (imms < immr) lsl64(R.lo, R.hi, 64 - immr);
          if (rd !== 31) {
            xl[rd] = R.lo;
            xh[rd] = R.hi;
          }
        } else {
          const v = xl[rn]! << (31 - imms);
          let r: number;
          if (imms >= immr) r = op === 33 ? v >> (31 - imms + immr) : v >>> (31 - imms + immr);
          else r = (op === 33 ? v >> (31 - imms) : v >>> (31 - imms)) << (32 - immr);
          if (rd !== 31) {
            xl[rd] = r | 0;
            xh[rd] = 0;
          }
        }
        cpu.pc = pc + 4;
        break;
      }
      case 34 /* CSEL */: {
        const rm = (insn >>> 16) & 31;
        let lo: number;
        let hi: number;
        if (conditionHolds(cpu, (insn >>> 12) & 15)) {
          lo = xl[rn]!;
          hi = xh[rn]!;
        } else {
          lo = xl[rm]!;
          hi = xh[rm]!;
          const inv = (insn & 0x40000000) !== 0;
          const inc = (insn & 0x400) !== 0;
          if (inv) {
            lo = ~lo;
            hi = ~hi;
          }
          if (inc) {
            lo = (lo + 1) | 0;
            if (lo === 0) hi = (hi + 1) | 0;
          }
        }
        if (rd !== 31) {
          xl[rd] = lo;
          xh[rd] = insn < 0 ? hi : 0;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 35 /* LDR_UIMM */:
      case 36 /* STR_UIMM */:
      case 39 /* LDR_IMM9 */:
      case 40 /* STR_IMM9 */:
      case 41 /* LDR_REG */:
      case 42 /* STR_REG */: {
        // Single-register LDR/STR: compute the address for the form, then one inline
        // TLB fast path for 32/64-bit accesses (loadGpr/storeGpr otherwise).
        const size = insn >>> 30;
        const s = rn + ((rn + 1) >> 5);
        const bl = xl[s]!;
        const bh = xh[s]!;
        let alo: number;
        let ahi: number;
        let writeback = false;
        let nlo = 0;
        let nhi = 0;
        if (op <= 36) {
          const o = ((insn >>> 10) & 0xfff) << size;
          alo = (bl + o) | 0;
          ahi = (bh + (alo >>> 0 < bl >>> 0 ? 1 : 0)) | 0;
        } else if (op <= 40) {
          const mode = (insn >>> 10) & 3;
          if (mode === 2) {
            execUnprivileged(cpu, op, insn);
            cpu.pc = pc + 4;
            break;
          }
          addImm64(bl, bh, (insn << 11) >> 23);
          nlo = R.lo;
          nhi = R.hi;
          writeback = mode !== 0;
          alo = mode === 1 ? bl : nlo;
          ahi = mode === 1 ? bh : nhi;
        } else {
          const option = (insn >>> 13) & 7;
          if ((option & 2) === 0) cpu.undefinedInstruction();
          const rm = (insn >>> 16) & 31;
          const ml = xl[rm]!;
          const mh = option === 3 || option === 7 ? xh[rm]! : option === 6 ? ml >> 31 : 0;
          lsl64(ml, mh, (insn & 0x1000) !== 0 ? size : 0);
          add64(bl, bh, R.lo, R.hi, 0);
          alo = R.lo;
          ahi = R.hi;
        }
        if (rn === 31 && (bl & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
        const load = op === 35 || op === 39 || op === 41;
        const t = (load ? mem.rBase : mem.wBase) | ((alo >>> 12) & 1023);
        if (size >= 2 && tagLo[t] === (alo & (size === 3 ? -4089 : -4093)) && tagHi[t] === ahi) {
          const v = views[t]!;
          const a = adds[t]! + (alo & 0xfff);
          if (load) {
            const lo = v.getInt32(a, true);
            const hi = size === 3 ? v.getInt32(a + 4, true) : 0;
            if (rd !== 31) {
              xl[rd] = lo;
              xh[rd] = hi;
            }
          } else {
            v.setInt32(a, xl[rd]!, true);
            if (size === 3) v.setInt32(a + 4, xh[rd]!, true);
          }
        } else if (load) loadGpr(cpu, size, alo, ahi, rd);
        else storeGpr(cpu, size, alo, ahi, rd);
        if (writeback) {
          xl[s] = nlo;
          xh[s] = nhi;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 37 /* LDP */:
      case 38 /* STP */: {
        const opc = insn >>> 30;
        if (opc === 1 || opc === 3) cpu.undefinedInstruction();
        const mode = (insn >>> 23) & 3;
        const scale = opc === 2 ? 3 : 2;
        const rt2 = (insn >>> 10) & 31;
        const s = rn + ((rn + 1) >> 5);
        const bl = xl[s]!;
        const bh = xh[s]!;
        if (rn === 31 && (bl & 15) !== 0 && cpu.spCheck) cpu.spAlignmentFault();
        addImm64(bl, bh, ((insn << 10) >> 25) << scale);
        const nlo = R.lo;
        const nhi = R.hi;
        const alo = mode === 1 ? bl : nlo;
        const ahi = mode === 1 ? bh : nhi;
        const step = 1 << scale;
        // Fast path: both halves in one page and the first naturally aligned, so one
        // TLB probe covers the pair (the common STP/LDP of X29/X30 on the stack).
        const t = (op === 37 ? mem.rBase : mem.wBase) | ((alo >>> 12) & 1023);
        if (
          tagLo[t] === (alo & (-4096 | (step - 1))) &&
          tagHi[t] === ahi &&
          (alo & 0xfff) <= 4096 - 2 * step
        ) {
          const v = views[t]!;
          const a = adds[t]! + (alo & 0xfff);
          if (op === 37) {
            const l1 = v.getInt32(a, true);
            const l2 = v.getInt32(a + step, true);
            const h1 = scale === 3 ? v.getInt32(a + 4, true) : 0;
            const h2 = scale === 3 ? v.getInt32(a + 12, true) : 0;
            if (rd !== 31) {
              xl[rd] = l1;
              xh[rd] = h1;
            }
            if (rt2 !== 31) {
              xl[rt2] = l2;
              xh[rt2] = h2;
            }
          } else {
            v.setInt32(a, xl[rd]!, true);
            v.setInt32(a + step, xl[rt2]!, true);
            if (scale === 3) {
              v.setInt32(a + 4, xh[rd]!, true);
              v.setInt32(a + 12, xh[rt2]!, true);
            }
          }
        } else {
          const blo = (alo + step) | 0;
          const bhi = (ahi + (blo >>> 0 < alo >>> 0 ? 1 : 0)) | 0;
          pairSlow(cpu, op === 37, scale, alo, ahi, blo, bhi, rd, rt2);
        }
        if (mode === 1 || mode === 3) {
          xl[s] = nlo;
          xh[s] = nhi;
        }
        cpu.pc = pc + 4;
        break;
      }
      case 43 /* NOP */:
        cpu.pc = pc + 4;
        break;
      case 128 /* HINT */:
      case 130 /* BARRIER */: {
        // NOP-like hints (NOP, YIELD, SEV, PAuth and BTI hints, CSDB...) and barriers
        // are inline; WFE/WFI (hints 2 and 3) and SB go to the system group.
        const hint = (insn >>> 5) & 0x7f;
        if (op === 128 ? hint === 2 || hint === 3 : (hint & 7) === 7) {
          execSystem(cpu, op, insn); // WFE/WFI may end the run (exit) or trap (exception)
          if (cpu.exit !== undefined) return n;
          fbase = cpu.fetchBase;
          fview = cpu.fetchView;
          fadd = cpu.fetchAdd;
          fwords = cpu.fetchWords;
          fops = cpu.fetchOps;
        } else cpu.pc = pc + 4;
        break;
      }
      default:
        cpu.insn = insn;
        if (op >= SIMD_OP_BASE) {
          cpu.checkFpAccess();
          execSimd(cpu, op, insn);
          cpu.pc = pc + 4;
        } else if (op >= 256) {
          cpu.checkFpAccess();
          execFpMemory(cpu, op, insn);
          cpu.pc = pc + 4;
        } else if (op >= 192) {
          execMemory(cpu, op, insn);
          cpu.pc = pc + 4;
        } else if (op >= 128) {
          // System instructions set the PC themselves (exceptions, ERET).
          execSystem(cpu, op, insn);
          if (cpu.irqCheck || cpu.exit !== undefined) return n;
        } else if (op >= 64) {
          execDataProcessing(cpu, op, insn);
          cpu.pc = pc + 4;
        } else {
          cpu.undefinedInstruction();
        }
        // A system instruction may have switched the TLB context.
        tagLo = mem.tagLo;
        tagHi = mem.tagHi;
        views = mem.views;
        adds = mem.adds;
        fbase = cpu.fetchBase;
        fview = cpu.fetchView;
        fadd = cpu.fetchAdd;
        fwords = cpu.fetchWords;
        fops = cpu.fetchOps;
    }
  }
  return n;
}

/** LDP/STP through the memory unit (misses, page crossings, misaligned bases). */
function pairSlow(
  cpu: Cpu,
  load: boolean,
  scale: number,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
  rt: number,
  rt2: number,
): void {
  const mem = cpu.mem;
  const xl = cpu.xl;
  const xh = cpu.xh;
  if (load) {
    let l1: number;
    let h1 = 0;
    let l2: number;
    let h2 = 0;
    if (scale === 3) {
      l1 = mem.read64(alo, ahi);
      h1 = mem.hi;
      l2 = mem.read64(blo, bhi);
      h2 = mem.hi;
    } else {
      l1 = mem.read32(alo, ahi);
      l2 = mem.read32(blo, bhi);
    }
    if (rt !== 31) {
      xl[rt] = l1;
      xh[rt] = h1;
    }
    if (rt2 !== 31) {
      xl[rt2] = l2;
      xh[rt2] = h2;
    }
  } else if (scale === 3) {
    mem.write64(alo, ahi, xl[rt]!, xh[rt]!);
    mem.write64(blo, bhi, xl[rt2]!, xh[rt2]!);
  } else {
    mem.write32(alo, ahi, xl[rt]!);
    mem.write32(blo, bhi, xl[rt2]!);
  }
}
