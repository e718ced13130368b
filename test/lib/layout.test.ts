// Byte layouts: encode/decode round trips, and encode refusing values that do not fit
// their field (truncating would alias another value on the wire).
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytes, layout, reserved, s32, u16, u32, u64, u8 } from "../../src/lib/layout.js";
import { InvariantError } from "../../src/lib/assert.js";

const L = layout({ a: u8, b: u16, c: u32, d: s32, _0: reserved(3), e: u64, f: bytes(4) });
const good = {
  a: 0xff,
  b: 0xffff,
  c: 0xffff_ffff,
  d: -0x8000_0000,
  e: (1n << 64n) - 1n,
  f: Uint8Array.of(1, 2),
};

test("layout: extremes of every field round-trip; short bytes are zero-padded", () => {
  const encoded = L.encode(good);
  assert.equal(encoded.length, L.size);
  assert.deepEqual(L.decode(encoded), { ...good, f: Uint8Array.of(1, 2, 0, 0) });
});

test("layout: encode refuses values that do not fit instead of wrapping them", () => {
  const misfits: Record<string, unknown>[] = [
    { a: 256 },
    { a: -1 },
    { b: 0x1_0000 },
    { c: 2 ** 32 },
    { c: -1 },
    { c: 0.5 },
    { c: NaN },
    { c: 1n },
    { d: 2 ** 31 },
    { d: -(2 ** 31) - 1 },
    { e: 1n << 64n },
    { e: -1n },
    { e: 5 },
    { f: new Uint8Array(5) },
  ];
  for (const m of misfits) {
    const value = { ...good, ...m } as typeof good;
    assert.throws(() => L.encode(value), InvariantError, Object.keys(m)[0]);
    assert.throws(() => L.encodeInto(value, new DataView(new ArrayBuffer(64)), 0), InvariantError);
  }
});
