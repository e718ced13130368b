// Operation numbers of the FP/AdvSIMD group, one per encoding class of the A64
// "Data Processing -- Scalar Floating-Point and Advanced SIMD" space (Arm ARM C4.1.6).
// Each class executor sub-decodes its opcode fields exactly like the encoding tables
// and returns false for unallocated or reserved combinations, so the core raises
// UNDEFINED. Numbers start at SIMD_OP_BASE so that the integer core can dispatch on them.

import { SIMD_OP_BASE } from "./context.js";

export const SimdOp = {
  // AdvSIMD vector classes
  TABLE: SIMD_OP_BASE + 0,
  PERMUTE: SIMD_OP_BASE + 1,
  EXTRACT: SIMD_OP_BASE + 2,
  COPY: SIMD_OP_BASE + 3,
  TWO_MISC: SIMD_OP_BASE + 4,
  ACROSS: SIMD_OP_BASE + 5,
  THREE_DIFF: SIMD_OP_BASE + 6,
  THREE_SAME: SIMD_OP_BASE + 7,
  MOD_IMM: SIMD_OP_BASE + 8,
  SHIFT_IMM: SIMD_OP_BASE + 9,
  INDEXED: SIMD_OP_BASE + 10,
  // AdvSIMD scalar classes
  SCALAR_COPY: SIMD_OP_BASE + 16,
  SCALAR_TWO_MISC: SIMD_OP_BASE + 17,
  SCALAR_PAIRWISE: SIMD_OP_BASE + 18,
  SCALAR_THREE_DIFF: SIMD_OP_BASE + 19,
  SCALAR_THREE_SAME: SIMD_OP_BASE + 20,
  SCALAR_SHIFT_IMM: SIMD_OP_BASE + 21,
  SCALAR_INDEXED: SIMD_OP_BASE + 22,
  // Scalar floating-point classes
  FP_FIXED_CONV: SIMD_OP_BASE + 32,
  FP_INT_CONV: SIMD_OP_BASE + 33,
  FP_DP1: SIMD_OP_BASE + 34,
  FP_COMPARE: SIMD_OP_BASE + 35,
  FP_IMM: SIMD_OP_BASE + 36,
  FP_CCMP: SIMD_OP_BASE + 37,
  FP_DP2: SIMD_OP_BASE + 38,
  FP_CSEL: SIMD_OP_BASE + 39,
  FP_DP3: SIMD_OP_BASE + 40,
} as const;

export type SimdOpNumber = (typeof SimdOp)[keyof typeof SimdOp];
