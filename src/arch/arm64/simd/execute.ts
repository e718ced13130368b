// The FP/AdvSIMD executor: the integer core calls executeSimd for every op number the
// SIMD_ROWS table yields (after its CPACR FP trap check). Each class executor decodes
// its own opcode fields and returns false for UNDEFINED (unallocated or reserved)
// encodings, which the core turns into an Undefined Instruction exception.

import type { SimdContext } from "./context.js";
import {
  execCopy,
  execExtract,
  execModImm,
  execPermute,
  execScalarCopy,
  execTable,
} from "./exec-copy.js";
import { execFpThreeSame } from "./exec-fp3.js";
import {
  execFpCcmp,
  execFpCompare,
  execFpCsel,
  execFpDp1,
  execFpDp2,
  execFpDp3,
  execFpFixedConv,
  execFpImm,
  execFpIntConv,
} from "./exec-fp-scalar.js";
import { execIntThreeSame } from "./exec-int3.js";
import { execTwoMisc } from "./exec-misc.js";
import { execAcross, execScalarPairwise } from "./exec-across.js";
import { execShiftImm } from "./exec-shift.js";
import { execThreeDiff } from "./exec-diff.js";
import { execIndexed } from "./exec-indexed.js";
import { SimdOp } from "./ops.js";

function threeSame(ctx: SimdContext, insn: number, scalar: boolean): boolean {
  return ((insn >>> 11) & 31) >= 0x18
    ? execFpThreeSame(ctx, insn, scalar)
    : execIntThreeSame(ctx, insn, scalar);
}

export function executeSimd(ctx: SimdContext, op: number, insn: number): boolean {
  switch (op) {
    case SimdOp.TABLE:
      return execTable(ctx, insn);
    case SimdOp.PERMUTE:
      return execPermute(ctx, insn);
    case SimdOp.EXTRACT:
      return execExtract(ctx, insn);
    case SimdOp.COPY:
      return execCopy(ctx, insn);
    case SimdOp.TWO_MISC:
      return execTwoMisc(ctx, insn, false);
    case SimdOp.ACROSS:
      return execAcross(ctx, insn);
    case SimdOp.THREE_DIFF:
      return execThreeDiff(ctx, insn, false);
    case SimdOp.THREE_SAME:
      return threeSame(ctx, insn, false);
    case SimdOp.MOD_IMM:
      return execModImm(ctx, insn);
    case SimdOp.SHIFT_IMM:
      return execShiftImm(ctx, insn, false);
    case SimdOp.INDEXED:
      return execIndexed(ctx, insn, false);
    case SimdOp.SCALAR_COPY:
      return execScalarCopy(ctx, insn);
    case SimdOp.SCALAR_TWO_MISC:
      return execTwoMisc(ctx, insn, true);
    case SimdOp.SCALAR_PAIRWISE:
      return execScalarPairwise(ctx, insn);
    case SimdOp.SCALAR_THREE_DIFF:
      return execThreeDiff(ctx, insn, true);
    case SimdOp.SCALAR_THREE_SAME:
      return threeSame(ctx, insn, true);
    case SimdOp.SCALAR_SHIFT_IMM:
      return execShiftImm(ctx, insn, true);
    case SimdOp.SCALAR_INDEXED:
      return execIndexed(ctx, insn, true);
    case SimdOp.FP_FIXED_CONV:
      return execFpFixedConv(ctx, insn);
    case SimdOp.FP_INT_CONV:
      return execFpIntConv(ctx, insn);
    case SimdOp.FP_DP1:
      return execFpDp1(ctx, insn);
    case SimdOp.FP_COMPARE:
      return execFpCompare(ctx, insn);
    case SimdOp.FP_IMM:
      return execFpImm(ctx, insn);
    case SimdOp.FP_CCMP:
      return execFpCcmp(ctx, insn);
    case SimdOp.FP_DP2:
      return execFpDp2(ctx, insn);
    case SimdOp.FP_CSEL:
      return execFpCsel(ctx, insn);
    case SimdOp.FP_DP3:
      return execFpDp3(ctx, insn);
    default:
      return false;
  }
}
