// The JIT's native scalar FP (jit/emit-fp.ts) against qemu-aarch64 on the cases its
// guards exist for: random sequences of FADD/FSUB/FMUL/FDIV/FNMUL/FMAX/FMIN(NM)/FSQRT/
// FCVT/FRINT*/FCMP(E)/SCVTF/UCVTF/FCVTZS/FCVTZU on single and double operands drawn from
// NaNs (quiet and signalling), infinities, zeros of both signs, subnormals, the
// smallest normal, values whose products overflow or underflow, divisions by zero,
// inexact thirds and integers out of every conversion's range; FCMP's flags feeding
// B.cond, CSEL and CSET; FMADD/FMSUB/FNMADD/FNMSUB (emit-fma.ts); FPSR.IXC cleared again (MSR FPSR, XZR) so the first inexact
// operation must set it; and FPCR with FZ, DN or a directed rounding mode for a while.
// FPSR is folded into X15 after every few instructions. X0-X15, NZCV and V0-V7 must
// equal QEMU's under both tiers (qemu.ts; the JIT tier compiles everything).

import { test } from "node:test";
import assert from "node:assert/strict";
import { diffProgram, firstDivergence, haveQemu, SKIP_NO_QEMU } from "./qemu.js";
import { rng } from "./rng.js";

const bitsOf = (x: number): bigint => new BigUint64Array(new Float64Array([x]).buffer)[0]!;
const singleBits = (x: number): bigint => BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]!);

/** Doubles (and, in the low word, singles) that hit each guard, and ordinary ones. */
const DOUBLES = [
  0,
  -0,
  1,
  -1.5,
  1 / 3,
  10,
  123.75,
  -2.5e-3,
  1e308,
  -1e308,
  1e-308,
  2 ** -1022,
  5e-324,
  3e-320,
  Infinity,
  -Infinity,
  3e9,
  -3e9,
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  2 ** 53 + 2,
  0.5,
  -0.75,
].map(bitsOf);
const SPECIAL = [
  0x7ff8000000000001n,
  0xfff8000000000000n,
  0x7ff0000000000001n,
  0x7ff4000000000000n,
];
const SINGLES = [
  0,
  1,
  -3.25,
  1 / 3,
  3e38,
  -3e38,
  1e-38,
  2 ** -126,
  1e-45,
  1e-40,
  Infinity,
  16777217,
  4e9,
].map(singleBits);
const SINGLE_NAN = [0x7fc00001n, 0x7f800001n, 0xffa00000n];

function pool(r: () => number): bigint {
  const k = r();
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  if (k < 0.55) return pick(DOUBLES);
  if (k < 0.65) return pick(SPECIAL);
  // A single in the low word under a double's high word.
  const high = pick(DOUBLES) & 0xffffffff00000000n;
  return high | (k < 0.93 ? pick(SINGLES) : pick(SINGLE_NAN));
}

const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"];
const FPCRS = ["#0x1000000", "#0x2000000", "#0x400000", "#0x800000", "#0xc00000"];

/** X0-X7 hold the operand pool (never written); V0-V7 the working registers. */
function generator(r: () => number): () => string[] {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const v = (): number => int(8);
  let label = 0;
  return () => {
    const p = pick(["s", "d"]);
    const k = int(100);
    if (k < 12) return [`fmov d${v()}, x${v()}`];
    if (k < 40) {
      const op = pick([
        "fadd",
        "fsub",
        "fmul",
        "fdiv",
        "fnmul",
        "fmax",
        "fmin",
        "fmaxnm",
        "fminnm",
      ]);
      return [`${op} ${p}${v()}, ${p}${v()}, ${p}${v()}`];
    }
    if (k < 48) {
      const op = pick(["fsqrt", "frintn", "frintp", "frintm", "frintz", "frinti"]);
      return [`${op} ${p}${v()}, ${p}${v()}`];
    }
    if (k < 53) return [p === "s" ? `fcvt d${v()}, s${v()}` : `fcvt s${v()}, d${v()}`];
    if (k < 58) {
      const op = pick(["fmadd", "fmsub", "fnmadd", "fnmsub"]);
      return [`${op} ${p}${v()}, ${p}${v()}, ${p}${v()}, ${p}${v()}`];
    }
    if (k < 66) {
      const cmp = `${pick(["fcmp", "fcmpe"])} ${p}${v()}, ${r() < 0.3 ? "#0.0" : `${p}${v()}`}`;
      const cond = pick(CONDS);
      const n = ++label;
      if (r() < 0.5) return [cmp, `b.${cond} ${n}f`, `add x8, x8, #${n}`, `${n}:`];
      return [
        cmp,
        `csel x9, x9, x10, ${cond}`,
        `cset w11, ${pick(CONDS)}`,
        "eor x8, x8, x11, ror #5",
      ];
    }
    if (k < 72) {
      const g = r() < 0.5 ? "x" : "w";
      return [`${pick(["scvtf", "ucvtf"])} ${p}${v()}, ${g}${v()}`];
    }
    if (k < 82) {
      const g = r() < 0.5 ? "x" : "w";
      const d = 11 + int(3);
      return [`${pick(["fcvtzs", "fcvtzu"])} ${g}${d}, ${p}${v()}`, `eor x10, x10, x${d}, ror #7`];
    }
    if (k < 92) return ["mrs x14, fpsr", `eor x15, x15, x14, ror #${1 + int(60)}`];
    if (k < 96) return ["mrs x14, fpsr", "eor x15, x15, x14, ror #3", "msr fpsr, xzr"];
    if (k < 98) return [`mov x14, ${pick(FPCRS)}`, "msr fpcr, x14"];
    return ["msr fpcr, xzr"];
  };
}

for (const seed of [71, 72, 73, 74, 75, 76, 77, 78]) {
  test(
    `JIT: scalar FP sequence ${seed} (NaN, inf, overflow, underflow, subnormal, FPSR/FPCR) matches qemu`,
    { skip: !haveQemu() && SKIP_NO_QEMU },
    () => {
      const r = rng(seed);
      const gen = generator(r);
      const init = Array.from({ length: 16 }, (_, i) => (i < 8 ? pool(r) : BigInt(i)));
      const lines = [
        ...Array.from({ length: 8 }, (_, i) => `fmov d${i}, x${i}`),
        ...Array.from({ length: 60 }, gen).flat(),
        "mrs x14, fpsr",
        "mrs x13, fpcr",
      ];
      const result = diffProgram(init, 0, lines.join("\n"));
      if (!result.same) assert.fail(firstDivergence(init, 0, lines));
    },
  );
}
