// AdvSIMD across lanes (ADDV, SADDLV/UADDLV, SMAXV/UMAXV/SMINV/UMINV, FMAXV/FMINV,
// FMAXNMV/FMINNMV) and AdvSIMD scalar pairwise (ADDP, FADDP, FMAXP/FMINP,
// FMAXNMP/FMINNMP). FP reductions combine halves recursively (Reduce() of the Arm
// pseudocode), which fixes the order of operations and therefore the NaN chosen.

import type { SimdContext } from "./context.js";
import { DOUBLE, SINGLE, readBits, writeBits, type FpFormat } from "./fp-format.js";
import { FpBin, fpBinary } from "./fp-lane.js";
import { SA, SR } from "./lanes.js";
import { getLaneBig, clearHigh, setLaneBig } from "./vreg.js";

function reduceFp(kind: FpBin, fmt: FpFormat, vals: readonly bigint[], ctx: SimdContext): bigint {
  if (vals.length === 1) return vals[0] ?? 0n;
  const half = vals.length / 2;
  const lo = reduceFp(kind, fmt, vals.slice(0, half), ctx);
  const hi = reduceFp(kind, fmt, vals.slice(half), ctx);
  return fpBinary(kind, fmt, lo, hi, ctx);
}

function writeScalarBig(ctx: SimdContext, d: number, esize: number, value: bigint): void {
  setLaneBig(ctx, d, esize, 0, value);
  clearHigh(ctx, d, esize >>> 3);
}

function fpAcross(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const a = (insn >>> 23) & 1;
  const sz = (insn >>> 22) & 1;
  const opcode = (insn >>> 12) & 31;
  // Only the single-precision .4S forms exist without FEAT_FP16 (U = 1).
  if (u !== 1 || sz !== 0 || q !== 1) return false;
  let kind: FpBin;
  if (opcode === 0x0c) kind = a ? FpBin.MINNM : FpBin.MAXNM;
  else if (opcode === 0x0f) kind = a ? FpBin.MIN : FpBin.MAX;
  else return false;
  const n = (insn >>> 5) & 31;
  const vals = [0, 1, 2, 3].map((e) => readBits(ctx.vview, n * 16 + e * 4, SINGLE));
  writeScalarBig(ctx, insn & 31, 32, reduceFp(kind, SINGLE, vals, ctx));
  return true;
}

export function execAcross(ctx: SimdContext, insn: number): boolean {
  const q = (insn >>> 30) & 1;
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 31;
  if (opcode === 0x0c || opcode === 0x0f) return fpAcross(ctx, insn);
  if (size === 3 || (size === 2 && q === 0)) return false;
  const esize = 8 << size;
  const elements = ((q ? 16 : 8) * 8) / esize;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  const x = SA.load(ctx, n).lanes(esize, u === 0);
  let acc = x[0] ?? 0;
  switch (opcode) {
    case 0x03: // SADDLV / UADDLV
      for (let e = 1; e < elements; e++) acc += x[e] ?? 0;
      writeScalarBig(ctx, d, 2 * esize, BigInt(acc));
      return true;
    case 0x1b: // ADDV
      if (u) return false;
      for (let e = 1; e < elements; e++) acc += x[e] ?? 0;
      break;
    case 0x0a: // SMAXV / UMAXV
      for (let e = 1; e < elements; e++) acc = Math.max(acc, x[e] ?? 0);
      break;
    case 0x1a: // SMINV / UMINV
      for (let e = 1; e < elements; e++) acc = Math.min(acc, x[e] ?? 0);
      break;
    default:
      return false;
  }
  SR.clear().lanes(esize, false)[0] = acc;
  SR.store(ctx, d, esize >>> 3);
  return true;
}

export function execScalarPairwise(ctx: SimdContext, insn: number): boolean {
  const u = (insn >>> 29) & 1;
  const size = (insn >>> 22) & 3;
  const opcode = (insn >>> 12) & 31;
  const n = (insn >>> 5) & 31;
  const d = insn & 31;
  if (u === 0) {
    if (opcode !== 0x1b || size !== 3) return false; // ADDP (scalar)
    const sum = getLaneBig(ctx, n, 64, 0) + getLaneBig(ctx, n, 64, 1);
    writeScalarBig(ctx, d, 64, sum);
    return true;
  }
  const a = size >>> 1;
  const fmt = size & 1 ? DOUBLE : SINGLE;
  let kind: FpBin;
  switch ((a << 5) | opcode) {
    case 0x0c:
      kind = FpBin.MAXNM;
      break;
    case 0x2c:
      kind = FpBin.MINNM;
      break;
    case 0x0d:
      kind = FpBin.ADD;
      break;
    case 0x0f:
      kind = FpBin.MAX;
      break;
    case 0x2f:
      kind = FpBin.MIN;
      break;
    default:
      return false;
  }
  const eb = fmt.size >>> 3;
  const x = readBits(ctx.vview, n * 16, fmt);
  const y = readBits(ctx.vview, n * 16 + eb, fmt);
  const r = fpBinary(kind, fmt, x, y, ctx);
  writeBits(ctx.vview, d * 16, fmt, r);
  clearHigh(ctx, d, eb);
  return true;
}
