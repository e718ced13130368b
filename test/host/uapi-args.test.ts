// The UAPI number checks (src/host/functions/args.ts) and the function argument encoders
// built on them: integers in range pass unchanged, anything else is EINVAL, never thrown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { s32Arg, u32Arg, u64Arg } from "../../src/host/functions/args.js";
import { encodeVcpuArg, VcpuArg } from "../../src/host/functions/vcpu-function.js";
import { encodeIrqfdArg, IrqfdArg } from "../../src/host/functions/irqfd.js";
import { encodeIoeventfdArg, IoeventfdArg } from "../../src/host/functions/ioeventfd.js";

const NOT_INTEGERS = [0.5, NaN, Infinity, -Infinity, "1", null, undefined, {}, true];

test("u32Arg: [0, 2^32) as number or bigint; everything else EINVAL", () => {
  for (const [v, want] of [
    [0, 0],
    [0xffff_ffff, 0xffff_ffff],
    [7n, 7],
  ] as const) {
    const r = u32Arg("x", v);
    assert.ok(r.ok);
    assert.equal(r.value, want);
  }
  for (const v of [...NOT_INTEGERS, -1, 2 ** 32, 1n << 32n, -1n]) {
    const r = u32Arg("x", v);
    assert.equal(r.ok, false, String(v));
    assert.equal(r.ok ? "" : r.error.code, "EINVAL");
  }
});

test("u64Arg: [0, 2^64) as number or bigint; everything else EINVAL", () => {
  const max = (1n << 64n) - 1n;
  assert.deepEqual(u64Arg("x", max), { ok: true, value: max });
  assert.deepEqual(u64Arg("x", 2 ** 53), { ok: true, value: 2n ** 53n });
  for (const v of [...NOT_INTEGERS, -1, 2 ** 64, 1n << 64n, -1n]) {
    const r = u64Arg("x", v);
    assert.equal(r.ok ? "" : r.error.code, "EINVAL", String(v));
  }
});

test("s32Arg: [-2^31, 2^31) numbers only", () => {
  assert.ok(s32Arg("fd", -(2 ** 31)).ok && s32Arg("fd", 2 ** 31 - 1).ok);
  for (const v of [...NOT_INTEGERS, 2 ** 31, -(2 ** 31) - 1, 3n])
    assert.equal(s32Arg("fd", v).ok, false);
});

test("function encoders refuse aliasing values and encode valid ones exactly", () => {
  assert.equal(encodeVcpuArg(2 ** 32).ok, false);
  const vcpu = encodeVcpuArg(5);
  assert.ok(vcpu.ok);
  assert.deepEqual(VcpuArg.decodeExact(vcpu.value), { id: 5 });

  assert.equal(encodeIrqfdArg(3, -1, false).ok, false);
  assert.equal(encodeIrqfdArg(0.5, 1, false).ok, false);
  const irqfd = encodeIrqfdArg(3, 9, true);
  assert.ok(irqfd.ok);
  assert.deepEqual(IrqfdArg.decodeExact(irqfd.value), { fd: 3, label: 9, flags: 1 });

  assert.equal(encodeIoeventfdArg({ fd: 1, addr: 1n << 64n, len: 4 }).ok, false);
  assert.equal(encodeIoeventfdArg({ fd: 1, addr: 0n, len: 4, datamatch: -1n }).ok, false);
  assert.equal(encodeIoeventfdArg({ fd: 1, addr: 0n, len: 2 ** 32 }).ok, false);
  assert.equal(encodeIoeventfdArg({ fd: 2 ** 31, addr: 0n, len: 4 }).ok, false);
  const io = encodeIoeventfdArg({ fd: 4, addr: 0x900_0000n, len: 8, datamatch: 0n });
  assert.ok(io.ok);
  assert.deepEqual(IoeventfdArg.decodeExact(io.value), {
    datamatch: 0n,
    addr: 0x900_0000n,
    len: 8,
    fd: 4,
    flags: 1,
  });
});
