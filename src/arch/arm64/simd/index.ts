// Public entry of the FP/AdvSIMD group (used by the integer core's decoder and
// interpreter).
export { SIMD_ROWS } from "./table.js";
export { executeSimd } from "./execute.js";
export { SimdOp } from "./ops.js";
export type { SimdOpNumber } from "./ops.js";
export type { SimdContext } from "./context.js";
export { SIMD_OP_BASE } from "./context.js";
