// The FP/AdvSIMD executor: the integer core calls executeSimd for every op number the
// SIMD_ROWS table yields. Each class executor decodes its own opcode fields and
// returns false for UNDEFINED (unallocated or reserved) encodings.

import type { SimdContext } from "./context.js";
import { SimdOp } from "./ops.js";

export function executeSimd(ctx: SimdContext, op: number, insn: number): boolean {
  switch (op) {
    default:
      void ctx;
      void insn;
      return false;
  }
}

export { SimdOp };
