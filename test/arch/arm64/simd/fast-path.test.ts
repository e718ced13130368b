// The fast paths (fp-fast.ts: doubles with error-free transforms) against the exact
// BigInt reference (fp-arith.ts) on many random and adversarial operands: the result
// bits and the FPSR flags must be identical whenever the fast path answers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { fpAdd, fpDiv, fpMul, fpMulAdd, fpSqrt } from "../../../../src/arch/arm64/simd/fp-arith.js";
import { fpConvert } from "../../../../src/arch/arm64/simd/fp-convert.js";
import type { FpEnv } from "../../../../src/arch/arm64/simd/fp-env.js";
import {
  FastOp,
  fastConvertSD,
  fastDouble,
  fastFma,
  fastSingle,
  fastSqrtDouble,
  fastSqrtSingle,
} from "../../../../src/arch/arm64/simd/fp-fast.js";
import {
  DOUBLE,
  SINGLE,
  numberToBits,
  type FpFormat,
} from "../../../../src/arch/arm64/simd/fp-format.js";

let seed = 12345;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

function randomDouble(spread: number): number {
  const m = 1 + rnd();
  const e = Math.floor((rnd() - 0.5) * spread);
  // Sometimes few significant bits (exact results), sometimes full 53 bits.
  const mant = rnd() < 0.3 ? Math.round(m * 64) / 64 : m + rnd() * 2 ** -30;
  return (rnd() < 0.5 ? -1 : 1) * mant * 2 ** e;
}

const randomSingle = (spread: number): number => Math.fround(randomDouble(spread));

function bitsOf(fmt: FpFormat, x: number): bigint {
  return numberToBits(fmt, x);
}

function check(
  name: string,
  fmt: FpFormat,
  fast: (env: FpEnv) => number | undefined,
  slow: (env: FpEnv) => bigint,
  inputs: readonly number[],
): boolean {
  const fe: FpEnv = { fpcr: 0, fpsr: 0 };
  const r = fast(fe);
  if (r === undefined) return false;
  const se: FpEnv = { fpcr: 0, fpsr: 0 };
  const want = slow(se);
  const got = bitsOf(fmt, r);
  assert.equal(got.toString(16), want.toString(16), `${name}(${inputs.join(", ")}) value`);
  assert.equal(fe.fpsr, se.fpsr, `${name}(${inputs.join(", ")}) flags`);
  return true;
}

test("fast add/sub/mul/div/sqrt agree with the exact reference", () => {
  let answered = 0;
  for (let i = 0; i < 4000; i++) {
    const spread = i % 2 ? 40 : 1500;
    const x = randomDouble(spread);
    const y = rnd() < 0.2 ? -x * (1 + 2 ** -52) : randomDouble(spread);
    const [bx, by] = [bitsOf(DOUBLE, x), bitsOf(DOUBLE, y)];
    const ops: [FastOp, (e: FpEnv) => bigint][] = [
      [FastOp.ADD, (e) => fpAdd(DOUBLE, bx, by, e)],
      [FastOp.SUB, (e) => fpAdd(DOUBLE, bx, by, e, true)],
      [FastOp.MUL, (e) => fpMul(DOUBLE, bx, by, e)],
      [FastOp.DIV, (e) => fpDiv(DOUBLE, bx, by, e)],
    ];
    for (const [op, slow] of ops) {
      if (check(`d${op}`, DOUBLE, (e) => fastDouble(op, x, y, e), slow, [x, y])) answered++;
    }
    const sx = randomSingle(spread / 8);
    const sy = rnd() < 0.2 ? -sx : randomSingle(spread / 8);
    const [bsx, bsy] = [bitsOf(SINGLE, sx), bitsOf(SINGLE, sy)];
    const sops: [FastOp, (e: FpEnv) => bigint][] = [
      [FastOp.ADD, (e) => fpAdd(SINGLE, bsx, bsy, e)],
      [FastOp.SUB, (e) => fpAdd(SINGLE, bsx, bsy, e, true)],
      [FastOp.MUL, (e) => fpMul(SINGLE, bsx, bsy, e)],
      [FastOp.DIV, (e) => fpDiv(SINGLE, bsx, bsy, e)],
    ];
    for (const [op, slow] of sops) {
      if (check(`s${op}`, SINGLE, (e) => fastSingle(op, sx, sy, e), slow, [sx, sy])) answered++;
    }
    const ax = Math.abs(x);
    const perfect = rnd() < 0.3 ? Math.round(ax * 2 ** 20) ** 2 / 2 ** 40 : ax;
    const bp = bitsOf(DOUBLE, perfect);
    if (
      check(
        "dsqrt",
        DOUBLE,
        (e) => fastSqrtDouble(perfect, e),
        (e) => fpSqrt(DOUBLE, bp, e),
        [perfect],
      )
    )
      answered++;
    const as = Math.abs(sx);
    const bas = bitsOf(SINGLE, as);
    if (
      check(
        "ssqrt",
        SINGLE,
        (e) => fastSqrtSingle(as, e),
        (e) => fpSqrt(SINGLE, bas, e),
        [as],
      )
    )
      answered++;
  }
  assert.ok(answered > 20000, `fast path answered only ${answered} cases`);
});

test("fast FMA agrees with the exact reference, including cancellation and ties", () => {
  let answered = 0;
  for (let i = 0; i < 6000; i++) {
    for (const double of [true, false]) {
      const fmt = double ? DOUBLE : SINGLE;
      const gen = double ? randomDouble : randomSingle;
      const x = i % 11 === 0 ? (i % 2 ? -0 : 0) : gen(double ? 300 : 30);
      const y = gen(double ? 300 : 30);
      let z: number;
      const p = x * y;
      const mode = i % 6;
      if (mode === 0) z = gen(double ? 300 : 30);
      else if (mode === 1)
        z = double ? -p : Math.fround(-p); // cancellation down to the error
      else if (mode === 2) z = (double ? -p : Math.fround(-p)) * (1 + 2 ** -20);
      else if (mode === 3) {
        // x*y lands near a midpoint of the result format: z = -(p rounded) + half an ulp.
        const rp = double ? p : Math.fround(p);
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(rp))) - (double ? 52 : 23));
        z = double ? ulp / 2 : Math.fround(ulp / 2);
      } else if (mode === 4) z = double ? p * 2 ** -60 : Math.fround(p * 2 ** -30);
      else z = 0;
      if (!double) z = Math.fround(z);
      const [bz, bx, by] = [bitsOf(fmt, z), bitsOf(fmt, x), bitsOf(fmt, y)];
      if (
        check(
          double ? "dfma" : "sfma",
          fmt,
          (e) => fastFma(double, z, x, y, e),
          (e) => fpMulAdd(fmt, bz, bx, by, e),
          [z, x, y],
        )
      ) {
        answered++;
      }
    }
  }
  assert.ok(answered > 8000, `fast FMA answered only ${answered} cases`);
});

test("fast single<->double conversion agrees with FPConvert", () => {
  let answered = 0;
  for (let i = 0; i < 20000; i++) {
    const x = randomDouble(i % 2 ? 60 : 2200);
    const bx = bitsOf(DOUBLE, x);
    if (
      check(
        "fcvt d->s",
        SINGLE,
        (e) => fastConvertSD(false, x, e),
        (e) => fpConvert(DOUBLE, SINGLE, bx, e, 0),
        [x],
      )
    )
      answered++;
    const f = Math.fround(randomDouble(i % 2 ? 60 : 300));
    const bf = bitsOf(SINGLE, f);
    if (
      check(
        "fcvt s->d",
        DOUBLE,
        (e) => fastConvertSD(true, f, e),
        (e) => fpConvert(SINGLE, DOUBLE, bf, e, 0),
        [f],
      )
    )
      answered++;
  }
  assert.ok(answered > 20000, `answered only ${answered}`);
});
