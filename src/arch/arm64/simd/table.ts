// Decode rows of the FP/AdvSIMD data-processing space: one row per encoding class of
// Arm ARM C4.1.6 (bits 28:25 = x111). Each pattern fixes every bit that the class
// table fixes, so rows never overlap each other, the integer classes or the loads and
// stores (bits 27:25 = 1x0 / x101 are elsewhere); conditions a pattern cannot state
// (e.g. immh != 0000) are split into several rows or checked by the executor.

import type { DecodeRow } from "../decode/row.js";
import { SimdOp } from "./ops.js";

function rows(name: string, patterns: readonly string[], op: number): DecodeRow[] {
  return patterns.map((pattern) => ({ name, pattern, op }));
}

// Shift by immediate requires immh (bits 22:19) != 0000: immh = 0000 is the
// modified-immediate class.
const IMMH_NONZERO = ["1xxx", "01xx", "001x", "0001"] as const;

export const SIMD_ROWS: readonly DecodeRow[] = [
  // --- AdvSIMD vector ---
  ...rows("AdvSIMD table lookup", ["0x001110 xx0xxxxx 0xxx00xx xxxxxxxx"], SimdOp.TABLE),
  ...rows("AdvSIMD permute", ["0x001110 xx0xxxxx 0xxx10xx xxxxxxxx"], SimdOp.PERMUTE),
  ...rows("AdvSIMD extract", ["0x101110 xx0xxxxx 0xxxx0xx xxxxxxxx"], SimdOp.EXTRACT),
  ...rows("AdvSIMD copy", ["0xx01110 000xxxxx 0xxxx1xx xxxxxxxx"], SimdOp.COPY),
  ...rows("AdvSIMD two-register misc", ["0xx01110 xx10000x xxxx10xx xxxxxxxx"], SimdOp.TWO_MISC),
  ...rows("AdvSIMD across lanes", ["0xx01110 xx11000x xxxx10xx xxxxxxxx"], SimdOp.ACROSS),
  ...rows("AdvSIMD three different", ["0xx01110 xx1xxxxx xxxx00xx xxxxxxxx"], SimdOp.THREE_DIFF),
  ...rows("AdvSIMD three same", ["0xx01110 xx1xxxxx xxxxx1xx xxxxxxxx"], SimdOp.THREE_SAME),
  ...rows("AdvSIMD modified immediate", ["0xx01111 00000xxx xxxxx1xx xxxxxxxx"], SimdOp.MOD_IMM),
  ...rows(
    "AdvSIMD shift by immediate",
    IMMH_NONZERO.map((immh) => `0xx011110 ${immh} xxx xxxxx1 xxxxx xxxxx`),
    SimdOp.SHIFT_IMM,
  ),
  ...rows(
    "AdvSIMD vector x indexed element",
    ["0xx01111 xxxxxxxx xxxxx0xx xxxxxxxx"],
    SimdOp.INDEXED,
  ),
  // --- AdvSIMD scalar ---
  ...rows("AdvSIMD scalar copy", ["01x11110 000xxxxx 0xxxx1xx xxxxxxxx"], SimdOp.SCALAR_COPY),
  ...rows(
    "AdvSIMD scalar two-register misc",
    ["01x11110 xx10000x xxxx10xx xxxxxxxx"],
    SimdOp.SCALAR_TWO_MISC,
  ),
  ...rows(
    "AdvSIMD scalar pairwise",
    ["01x11110 xx11000x xxxx10xx xxxxxxxx"],
    SimdOp.SCALAR_PAIRWISE,
  ),
  ...rows(
    "AdvSIMD scalar three different",
    ["01x11110 xx1xxxxx xxxx00xx xxxxxxxx"],
    SimdOp.SCALAR_THREE_DIFF,
  ),
  ...rows(
    "AdvSIMD scalar three same",
    ["01x11110 xx1xxxxx xxxxx1xx xxxxxxxx"],
    SimdOp.SCALAR_THREE_SAME,
  ),
  ...rows(
    "AdvSIMD scalar shift by immediate",
    IMMH_NONZERO.map((immh) => `01x111110 ${immh} xxx xxxxx1 xxxxx xxxxx`),
    SimdOp.SCALAR_SHIFT_IMM,
  ),
  ...rows(
    "AdvSIMD scalar x indexed element",
    ["01x11111 xxxxxxxx xxxxx0xx xxxxxxxx"],
    SimdOp.SCALAR_INDEXED,
  ),
  // --- Scalar floating-point (bit 30 = 0, bits 28:24 = 11110 / 11111) ---
  ...rows(
    "Conversion between floating-point and fixed-point",
    ["x0x11110 xx0xxxxx xxxxxxxx xxxxxxxx"],
    SimdOp.FP_FIXED_CONV,
  ),
  ...rows(
    "Conversion between floating-point and integer",
    ["x0x11110 xx1xxxxx 000000xx xxxxxxxx"],
    SimdOp.FP_INT_CONV,
  ),
  ...rows(
    "Floating-point data-processing (1 source)",
    ["x0x11110 xx1xxxxx x10000xx xxxxxxxx"],
    SimdOp.FP_DP1,
  ),
  ...rows("Floating-point compare", ["x0x11110 xx1xxxxx xx1000xx xxxxxxxx"], SimdOp.FP_COMPARE),
  ...rows("Floating-point immediate", ["x0x11110 xx1xxxxx xxx100xx xxxxxxxx"], SimdOp.FP_IMM),
  ...rows(
    "Floating-point conditional compare",
    ["x0x11110 xx1xxxxx xxxx01xx xxxxxxxx"],
    SimdOp.FP_CCMP,
  ),
  ...rows(
    "Floating-point data-processing (2 source)",
    ["x0x11110 xx1xxxxx xxxx10xx xxxxxxxx"],
    SimdOp.FP_DP2,
  ),
  ...rows(
    "Floating-point conditional select",
    ["x0x11110 xx1xxxxx xxxx11xx xxxxxxxx"],
    SimdOp.FP_CSEL,
  ),
  ...rows(
    "Floating-point data-processing (3 source)",
    ["x0x11111 xxxxxxxx xxxxxxxx xxxxxxxx"],
    SimdOp.FP_DP3,
  ),
];
