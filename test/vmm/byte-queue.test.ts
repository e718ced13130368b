import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteQueue } from "../../src/vmm/byte-queue.js";
import { Pl011, Pl011Reg } from "../../src/vmm/pl011.js";

test("the byte queue behaves like a bounded array FIFO", () => {
  const op = fc.oneof(
    fc.record({ push: fc.integer({ min: 0, max: 255 }) }),
    fc.constant({ shift: true as const }),
    fc.record({ unshift: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 5 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 100 }), (cap, ops) => {
      const q = new ByteQueue(cap);
      const model: number[] = [];
      for (const o of ops) {
        if ("push" in o) {
          assert.equal(q.push(o.push), model.length < cap);
          if (model.length < cap) model.push(o.push);
        } else if ("shift" in o) assert.equal(q.shift(), model.shift());
        else {
          q.unshiftAll(o.unshift);
          model.unshift(...o.unshift);
          model.length = Math.min(model.length, cap);
        }
        assert.equal(q.length, model.length);
      }
    }),
    { numRuns: 300 },
  );
});

test("a 64 KiB paste into the PL011 is taken in linear time, every byte of it", () => {
  const uart = new Pl011(() => {});
  const started = performance.now();
  uart.receive(new Uint8Array(64 * 1024).fill(0x61));
  const rxEmpty = () => {
    const fr = uart.read(Pl011Reg.FR, 4);
    return fr.ok && (fr.value & 0x10n) !== 0n;
  };
  let n = 0;
  while (!rxEmpty()) {
    const dr = uart.read(Pl011Reg.DR, 4);
    assert.ok(dr.ok && dr.value === 0x61n);
    n++;
  }
  assert.equal(n, 64 * 1024);
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
});
