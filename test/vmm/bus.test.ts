import { test } from "node:test";
import assert from "node:assert/strict";
import { ok, err, type Result } from "../../src/lib/result.js";
import { MmioBus } from "../../src/vmm/bus.js";
import type { AccessWidth, DeviceFault, MmioDevice } from "../../src/vmm/device.js";

/** Records what it sees; register i reads as 0x1000 + offset. */
class Probe implements MmioDevice {
  readonly seen: Array<{ op: string; offset: number; width: number; value?: bigint }> = [];
  constructor(
    readonly name: string,
    readonly size: number,
    readonly widths: readonly AccessWidth[] = [1, 2, 4, 8],
  ) {}
  read(offset: number, width: AccessWidth): Result<bigint, DeviceFault> {
    this.seen.push({ op: "r", offset, width });
    if (offset === 0x40) return err({ reason: "write-only register" });
    return ok(0xffff_ffff_ffff_0000n | BigInt(0x1000 + offset));
  }
  write(offset: number, width: AccessWidth, value: bigint): Result<void, DeviceFault> {
    this.seen.push({ op: "w", offset, width, value });
    return ok();
  }
}

test("registration refuses overlapping windows, in either order, and accepts neighbours", () => {
  const bus = new MmioBus();
  assert.ok(bus.register(0x1000, new Probe("a", 0x1000)).ok);
  const overlapEnd = bus.register(0x1fff, new Probe("b", 0x10));
  assert.deepEqual(overlapEnd.ok ? undefined : overlapEnd.error, {
    kind: "overlap",
    device: "b",
    existing: "a",
  });
  assert.equal(bus.register(0x800, new Probe("c", 0x801)).ok, false, "covers the first byte of a");
  assert.equal(bus.register(0x0, new Probe("d", 0x10000)).ok, false, "contains a");
  assert.ok(bus.register(0x2000, new Probe("e", 0x100)).ok, "starts where a ends");
  assert.ok(bus.register(0x800, new Probe("f", 0x800)).ok, "ends where a starts");
  assert.deepEqual(
    bus.windows().map((w) => w.name),
    ["f", "a", "e"],
  );
});

test("registration refuses empty, negative and overflowing windows", () => {
  const bus = new MmioBus();
  assert.equal(bus.register(0x1000, new Probe("zero", 0)).ok, false);
  assert.equal(bus.register(-0x1000, new Probe("neg", 0x10)).ok, false);
  assert.equal(bus.register(Number.MAX_SAFE_INTEGER - 4, new Probe("wrap", 0x10)).ok, false);
});

test("devices see offsets and exactly the declared width, values truncated to it", () => {
  const bus = new MmioBus();
  const p = new Probe("p", 0x100);
  assert.ok(bus.register(0x9000_0000, p).ok);
  const r = bus.read(0x9000_0010, 2);
  assert.deepEqual(r, { ok: true, value: 0x1010n });
  assert.ok(bus.write(0x9000_0008, 4, 0x1_2345_6789n).ok);
  assert.deepEqual(p.seen, [
    { op: "r", offset: 0x10, width: 2 },
    { op: "w", offset: 8, width: 4, value: 0x2345_6789n },
  ]);
});

test("accesses are checked for width, alignment and range before dispatch", () => {
  const bus = new MmioBus();
  const p = new Probe("p", 0x100, [4]);
  assert.ok(bus.register(0x1000, p).ok);
  const kind = (r: Result<unknown, { kind: string }>) => (r.ok ? "ok" : r.error.kind);
  assert.equal(kind(bus.read(0x1000, 3)), "bad-width");
  assert.equal(kind(bus.read(0x1000, 16)), "bad-width");
  assert.equal(kind(bus.read(0x1000, 2)), "bad-width", "a width the device does not accept");
  assert.equal(kind(bus.write(0x1000, 8, 0n)), "bad-width");
  assert.equal(kind(bus.read(0x1002, 4)), "misaligned");
  assert.equal(kind(bus.read(0x0ffc, 4)), "unmapped");
  assert.equal(kind(bus.read(0x1100, 4)), "unmapped");
  assert.equal(kind(bus.read(-4, 4)), "unmapped");
  assert.equal(kind(bus.read(2 ** 60, 4)), "unmapped");
  assert.equal(p.seen.length, 0, "no refused access reached the device");
  assert.equal(kind(bus.read(0x10fc, 4)), "ok", "the last word is inside");
});

test("an access that straddles the end of a window is refused even if aligned", () => {
  const bus = new MmioBus();
  const p = new Probe("small", 0x4, [1, 2, 4, 8]);
  assert.ok(bus.register(0x2000, p).ok);
  const r = bus.read(0x2000, 8);
  assert.equal(r.ok ? "ok" : r.error.kind, "straddles");
  assert.equal(p.seen.length, 0);
});

test("a device's refusal comes back as a device error with the offset", () => {
  const bus = new MmioBus();
  assert.ok(bus.register(0x1000, new Probe("p", 0x100)).ok);
  const r = bus.read(0x1040, 4);
  assert.deepEqual(r.ok ? undefined : r.error, {
    kind: "device",
    device: "p",
    offset: 0x40,
    reason: "write-only register",
  });
});
