// Named edge cases of the FP/AdvSIMD semantics, each one a rule of the Arm ARM that a
// plausible shortcut would break (expected values cross-checked with QEMU).

import { test } from "node:test";
import assert from "node:assert/strict";
import { executeSimd } from "../../../../src/arch/arm64/simd/index.js";
import { FakeContext, decodeSimd } from "./fake-context.js";

const IOC = 1;
const DZC = 2;
const OFC = 4;
const UFC = 8;
const IXC = 16;
const QC = 1 << 27;
const RP = 1 << 22;
const RM = 2 << 22;
const FZ = 1 << 24;
const DN = 1 << 25;
const AHP = 1 << 26;

const SCVTF_D_X = 0x9e620020; // scvtf d0, x1
const UCVTF_D_X = 0x9e630020; // ucvtf d0, x1
const SCVTF_S_X = 0x9e220020; // scvtf s0, x1
const FMADD_D = 0x1f420c20; // fmadd d0, d1, d2, d3
const FCVTZS_W_D = 0x1e780020; // fcvtzs w0, d1
const FADD_D = 0x1e622820; // fadd d0, d1, d2
const FMUL_D = 0x1e620820; // fmul d0, d1, d2
const SQADD_16B = 0x4e220c20; // sqadd v0.16b, v1.16b, v2.16b
const FDIV_S = 0x1e221820; // fdiv s0, s1, s2
const FCMPE_D = 0x1e622030; // fcmpe d1, d2
const FMAXNM_D = 0x1e626820; // fmaxnm d0, d1, d2
const FRINTX_D = 0x1e674020; // frintx d0, d1
const FCVT_H_S = 0x1e23c020; // fcvt h0, s1

function run(insn: number, setup: (ctx: FakeContext) => void, fpcr = 0): FakeContext {
  const ctx = new FakeContext();
  ctx.fpcr = fpcr;
  setup(ctx);
  const op = decodeSimd(insn);
  assert.ok(op !== undefined, `decodes ${insn.toString(16)}`);
  assert.ok(executeSimd(ctx, op, insn), `executes ${insn.toString(16)}`);
  return ctx;
}

const d = (ctx: FakeContext, reg: number): bigint => ctx.vview.getBigUint64(reg * 16, true);
const setD = (ctx: FakeContext, reg: number, bits: bigint): void =>
  ctx.vview.setBigUint64(reg * 16, bits, true);

test("SCVTF rounds a 64-bit integer once (no double rounding through a double)", () => {
  // 2^60 + 2^36 + 1 is just above a single-precision midpoint: rounds up. Through a
  // double it would first lose the +1 and then tie to even (down).
  const c = run(SCVTF_S_X, (ctx) => (ctx.x[1] = (1n << 60n) + (1n << 36n) + 1n));
  assert.equal(c.vview.getUint32(0, true), 0x5d800001);
  assert.equal(c.fpsr, IXC);
  const tie = (1n << 53n) + 1n;
  assert.equal(
    d(
      run(SCVTF_D_X, (ctx) => (ctx.x[1] = tie)),
      0,
    ),
    0x4340000000000000n,
  );
  assert.equal(
    d(
      run(SCVTF_D_X, (ctx) => (ctx.x[1] = tie), RP),
      0,
    ),
    0x4340000000000001n,
  );
  const max = run(UCVTF_D_X, (ctx) => (ctx.x[1] = (1n << 64n) - 1n));
  assert.equal(d(max, 0), 0x43f0000000000000n);
  assert.equal(max.fpsr, IXC);
});

test("FMADD (double) rounds once: (1+2^-52)(1-2^-53) - 1 is exact", () => {
  const c = run(FMADD_D, (ctx) => {
    setD(ctx, 1, 0x3ff0000000000001n);
    setD(ctx, 2, 0x3fefffffffffffffn);
    setD(ctx, 3, 0xbff0000000000000n);
  });
  assert.equal(d(c, 0), 0x3c9ffffffffffffen); // 2^-53 - 2^-105; unfused gives 0
  assert.equal(c.fpsr, 0);
});

test("FCVTZS saturates with IOC, turns NaN into 0 with IOC, and flags inexact", () => {
  const big = run(FCVTZS_W_D, (ctx) => ctx.vview.setFloat64(16, 3e9, true));
  assert.equal(big.x[0], 0x7fffffffn);
  assert.equal(big.fpsr, IOC);
  const nan = run(FCVTZS_W_D, (ctx) => setD(ctx, 1, 0x7ff8000000000000n));
  assert.equal(nan.x[0], 0n);
  assert.equal(nan.fpsr, IOC);
  const half = run(FCVTZS_W_D, (ctx) => ctx.vview.setFloat64(16, -0.5, true));
  assert.equal(half.x[0], 0n);
  assert.equal(half.fpsr, IXC);
});

test("an exact zero sum is -0 when rounding toward minus infinity", () => {
  const setup = (ctx: FakeContext): void => {
    ctx.vview.setFloat64(16, 1, true);
    ctx.vview.setFloat64(32, -1, true);
  };
  assert.equal(d(run(FADD_D, setup, RM), 0), 0x8000000000000000n);
  assert.equal(d(run(FADD_D, setup), 0), 0n);
});

test("underflow: FZ flushes to zero with UFC only; otherwise UFC with IXC", () => {
  const setup = (ctx: FakeContext): void => {
    ctx.vview.setFloat64(16, 2 ** -600, true);
    ctx.vview.setFloat64(32, 2 ** -600, true);
  };
  const fz = run(FMUL_D, setup, FZ);
  assert.equal(d(fz, 0), 0n);
  assert.equal(fz.fpsr, UFC);
  const plain = run(FMUL_D, setup);
  assert.equal(d(plain, 0), 0n);
  assert.equal(plain.fpsr, UFC | IXC);
});

test("signalling NaNs are quietened with their payload, or replaced under DN", () => {
  const setup = (ctx: FakeContext): void => {
    setD(ctx, 1, 0x3ff0000000000000n);
    setD(ctx, 2, 0x7ff4000000000001n);
  };
  const quiet = run(FADD_D, setup);
  assert.equal(d(quiet, 0), 0x7ffc000000000001n);
  assert.equal(quiet.fpsr, IOC);
  assert.equal(d(run(FADD_D, setup, DN), 0), 0x7ff8000000000000n);
});

test("division by zero raises DZC and gives a signed infinity", () => {
  const c = run(FDIV_S, (ctx) => {
    ctx.vview.setFloat32(16, -3, true);
    ctx.vview.setFloat32(32, 0, true);
  });
  assert.equal(c.vview.getUint32(0, true), 0xff800000);
  assert.equal(c.fpsr, DZC);
});

test("FCMPE of a quiet NaN is unordered (NZCV 0011) and raises IOC", () => {
  const c = run(FCMPE_D, (ctx) => {
    setD(ctx, 1, 0x7ff8000000000000n);
    ctx.vview.setFloat64(32, 1, true);
  });
  assert.equal(c.nzcv, 0x30000000);
  assert.equal(c.fpsr, IOC);
});

test("FMAXNM prefers a number to a quiet NaN", () => {
  const c = run(FMAXNM_D, (ctx) => {
    setD(ctx, 1, 0x7ff8000000000000n);
    ctx.vview.setFloat64(32, -7, true);
  });
  assert.equal(c.vview.getFloat64(0, true), -7);
  assert.equal(c.fpsr, 0);
});

test("FRINTX rounds per FPCR (ties to even) and flags inexact", () => {
  const c = run(FRINTX_D, (ctx) => ctx.vview.setFloat64(16, 2.5, true));
  assert.equal(c.vview.getFloat64(0, true), 2);
  assert.equal(c.fpsr, IXC);
  assert.equal(
    run(FRINTX_D, (ctx) => ctx.vview.setFloat64(16, 2.5, true), RP).vview.getFloat64(0, true),
    3,
  );
});

test("FCVT to half overflows to infinity, but AHP has a wider range", () => {
  const setup = (ctx: FakeContext): void => ctx.vview.setFloat32(16, 65520, true);
  const ieee = run(FCVT_H_S, setup);
  assert.equal(ieee.vview.getUint16(0, true), 0x7c00);
  assert.equal(ieee.fpsr, OFC | IXC);
  const ahp = run(FCVT_H_S, setup, AHP);
  assert.equal(ahp.vview.getUint16(0, true), 0x7c00); // 65536 is a normal number in AHP
  assert.equal(ahp.fpsr, IXC);
});

test("saturating integer ops set FPSR.QC", () => {
  const c = run(SQADD_16B, (ctx) => {
    ctx.vregs[16] = 0x7f;
    ctx.vregs[32] = 1;
    ctx.vregs[17] = 0x80;
    ctx.vregs[33] = 0xff;
  });
  assert.equal(c.vregs[0], 0x7f);
  assert.equal(c.vregs[1], 0x80);
  assert.equal(c.fpsr, QC);
});

test("reserved encodings are UNDEFINED (executeSimd returns false)", () => {
  const ctx = new FakeContext();
  // add v0.1d, v1.1d, v2.1d (size 11 with Q = 0) and fadd h0, h1, h2 (FEAT_FP16).
  for (const insn of [0x0ee28420, 0x1ee22820]) {
    const op = decodeSimd(insn);
    assert.ok(op !== undefined);
    assert.equal(executeSimd(ctx, op, insn), false, insn.toString(16));
  }
});
