import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  FaultEntry,
  FaultKind,
  FaultRingConsumer,
  FaultRingHeader,
  FaultRingProducer,
} from "../../src/host/fault-ring.js";

const report = (n: number) => ({
  vcpu: n & 3,
  kind: FaultKind.VCPU_FAULT,
  address: BigInt(n) * 0x1000n,
  info0: BigInt(n),
  info1: 0n,
});

test("fault ring: header is zero-initialised except size; entries follow it", () => {
  const p = new FaultRingProducer(8);
  const bytes = new Uint8Array(p.buffer);
  assert.equal(p.buffer.byteLength, FaultRingHeader.size + 8 * FaultEntry.size);
  const h = new DataView(p.buffer);
  assert.equal(h.getUint32(0, true), 8);
  assert.ok(bytes.subarray(4).every((b) => b === 0));
});

test("fault ring: single producer, single consumer, in order; full drops and counts", () => {
  const p = new FaultRingProducer(4);
  const c = new FaultRingConsumer(p.buffer);
  for (let i = 0; i < 4; i++) assert.equal(p.push(report(i)), true);
  assert.equal(p.push(report(4)), false);
  assert.equal(p.dropped, 1);
  assert.equal(c.pending, 4);
  assert.deepEqual(c.drain(), [0, 1, 2, 3].map(report));
  for (let i = 10; i < 100; i++) {
    assert.equal(p.push(report(i)), true);
    assert.deepEqual(c.next(), report(i));
  }
  assert.equal(c.next(), undefined);
});

test("fault ring: survives a consumer that writes garbage into the indices", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer(), fc.integer(), fc.integer()), { maxLength: 40 }),
      (writes) => {
        const p = new FaultRingProducer(8);
        const header = new Int32Array(p.buffer, 0, 4);
        const before = new Uint8Array(p.buffer).slice();
        for (const [consumer, size, producer] of writes) {
          header[2] = consumer;
          header[0] = size;
          header[1] = producer;
          p.push(report(consumer & 0xff));
        }
        // The producer never writes outside its buffer (it cannot: it never grows),
        // never throws, and keeps its own index: a valid consumer resumes service.
        assert.equal(p.buffer.byteLength, before.length);
        header[2] = Atomics.load(header, 1);
        header[0] = 8;
        const produced = p.push(report(1));
        if (produced) {
          const c = new FaultRingConsumer(p.buffer);
          assert.ok(c.pending <= 8);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("fault ring: a consumer index ahead of the producer is rejected, then recovery", () => {
  const p = new FaultRingProducer(4);
  const header = new Int32Array(p.buffer, 0, 4);
  p.push(report(1));
  header[2] = 1000; // claims to have read 1000 entries
  assert.equal(p.push(report(2)), false);
  assert.equal(p.invalidConsumer, 1);
  // Even an overwritten producer index does not mislead the producer.
  header[1] = -5;
  header[2] = 1;
  assert.equal(p.push(report(3)), true);
  assert.equal(Atomics.load(header, 1), 2);
  const c = new FaultRingConsumer(p.buffer);
  assert.deepEqual(c.next(), report(3));
});

test("fault ring: consumer refuses a corrupt header", () => {
  const p = new FaultRingProducer(4);
  new Int32Array(p.buffer)[0] = 1 << 20;
  assert.throws(() => new FaultRingConsumer(p.buffer), RangeError);
});
