// Which blocks of a unit must find NZCV in the four flag locals when they start
// (lazy-flags.ts explains the lazy flags). Every instruction is classified by what it
// does with the flags; a block "needs" them materialized if, before any instruction
// that sets all four, something reads the locals, or if it sets none and a successor
// inside the unit needs them. A branch into a needing block materializes the pending
// flags on that edge; every other edge passes them on lazily (the run-time `fk` says
// what they are) and the epilogue computes them once when the unit leaves. So a loop
// `1: ldr; add; subs; b.ne 1b` computes no flag at all per iteration: B.NE reads Z as
// `r != 0` and the back edge leads to a block that sets the flags before reading them.
//
// Unknown instructions count as reading all four (Effect.NEED): emitters added later
// (native FP compares, new call-outs) stay correct without knowing about lazy flags,
// and gen.ts throws if one touches the flag locals while they are not current.

import { aluSupported } from "./emit-alu.js";
import { dpSupported } from "./emit-dp.js";
import { memSupported } from "./emit-mem.js";
import { planSimd } from "./emit-simd.js";
import { sysSupported } from "./emit-sys.js";
import { SimdOp } from "../simd/ops.js";

/** What an instruction does with NZCV in a unit. */
export const Effect = {
  /** Neither reads nor writes them. */
  NONE: 0,
  /** Sets all four lazily (ADDS/SUBS/CMP/CMN, ANDS/BICS/TST, ADDS/SUBS extended). */
  SET: 1,
  /** Reads a condition through Gen.cond, from the pending operands when it can (B.cond, CSEL, CCMP, ADC/SBC(S)). */
  READ: 2,
  /** May use the flag locals or the CPU block's copy: they must be materialized first. */
  NEED: 3,
} as const;

/** The branch ops (decode/ops.ts 22..31: B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR, RET). */
const B_COND = 24;

function aluEffect(op: number): number {
  if (op === 2 || op === 4 || op === 6 || op === 8 || op === 12 || op === 16) return Effect.SET;
  return op === 34 ? Effect.READ : Effect.NONE;
}

function dpEffect(op: number): number {
  if (op === 67 || op === 69) return Effect.SET;
  return op >= 70 && op <= 75 ? Effect.READ : Effect.NONE;
}

/**
 * The scalar floating-point classes (FP_FIXED_CONV and above): FCMP/FCCMP write NZCV,
 * FCSEL reads it, and emit-fp.ts's native arithmetic falls back to a call-out at run
 * time (which stores and reloads the flags), so all of them need the locals.
 */
const SCALAR_FP = SimdOp.FP_FIXED_CONV;

/**
 * The instruction's effect, in the order compile.ts's emitBlock picks its emitter
 * (branches, hints, system, memory, ALU, data processing, SIMD&FP, call-out).
 */
export function flagEffect(op: number, insn: number): number {
  if (op >= 22 && op <= 31) return op === B_COND ? Effect.READ : Effect.NONE;
  if (op === 128 || op === 130) return Effect.NONE;
  // The system instructions units run (MRS of ID/thread registers, DAIF, DC ops) never
  // involve NZCV; their helper reads the CPU object, never the flags.
  if (sysSupported(op, insn)) return Effect.NONE;
  if (memSupported(op, insn)) return Effect.NONE;
  if (aluSupported(op, insn)) return aluEffect(op);
  if (dpSupported(op, insn)) return dpEffect(op);
  // Native AdvSIMD and SIMD&FP loads/stores: no flags, no call-out fallback.
  if (op >= 256 && op < SCALAR_FP && planSimd(op, insn) !== undefined) return Effect.NONE;
  return Effect.NEED; // a call-out: it stores and reloads the flags
}

/** The region's shape as compile.ts builds it. */
export interface Blocks {
  /** Block leaders (word indexes), ascending; one past the last block's end is `end`. */
  readonly leaders: readonly number[];
  readonly end: number;
  /** A word's block index, if it is a leader. */
  readonly blockOf: ReadonlyMap<number, number>;
}

/** Direct-branch target word (page-relative) of a B/BL/B.cond/CBZ/TBZ, as compile.ts computes it. */
export type BranchTarget = (op: number, insn: number, w: number) => number | undefined;

/** The in-unit successors of block `i` (the taken branch and the fall-through). */
function successors(
  b: Blocks,
  words: Int32Array,
  ops: Uint16Array,
  i: number,
  target: BranchTarget,
): number[] {
  const last = (i + 1 < b.leaders.length ? b.leaders[i + 1]! : b.end) - 1;
  const op = ops[last]!;
  const out: number[] = [];
  const t = op >= 22 && op <= 28 ? target(op, words[last]!, last) : undefined;
  const k = t === undefined ? undefined : b.blockOf.get(t);
  if (k !== undefined) out.push(k);
  const unconditional = op === 22 || op === 23 || (op >= 29 && op <= 31);
  if (!unconditional && i + 1 < b.leaders.length) out.push(i + 1);
  return out;
}

/** Every word's Effect from `start` to `end` (indexed by word - start). */
export function flagEffects(
  words: Int32Array,
  ops: Uint16Array,
  start: number,
  end: number,
): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let w = start; w < end; w++) out[w - start] = flagEffect(ops[w]!, words[w]!);
  return out;
}

/**
 * For each block, 1 if it must start with NZCV materialized in the flag locals.
 * A backward "may be read before set" analysis over the unit's blocks (a fixpoint:
 * a block that neither reads nor sets passes its successors' need back). `effects`
 * is flagEffects from the first leader.
 */
export function blocksNeedingFlags(
  b: Blocks,
  words: Int32Array,
  ops: Uint16Array,
  effects: Uint8Array,
  target: BranchTarget,
): Uint8Array {
  const n = b.leaders.length;
  const start = b.leaders[0]!;
  const need = new Uint8Array(n);
  const open: number[] = []; // blocks that neither set nor read: decided by successors
  for (let i = 0; i < n; i++) {
    const first = b.leaders[i]!;
    const last = i + 1 < n ? b.leaders[i + 1]! : b.end;
    let effect: number = Effect.NONE;
    for (let w = first; w < last && effect === Effect.NONE; w++) effect = effects[w - start]!;
    if (effect === Effect.READ || effect === Effect.NEED) need[i] = 1;
    else if (effect === Effect.NONE) open.push(i);
  }
  const succ = open.map((i) => successors(b, words, ops, i, target));
  for (let changed = true; changed;) {
    changed = false;
    open.forEach((i, j) => {
      if (need[i] === 0 && succ[j]!.some((k) => need[k] === 1)) {
        need[i] = 1;
        changed = true;
      }
    });
  }
  return need;
}
