// Attack: a guest's MMIO accesses as the VMM sees them (hardening.md: register
// accesses of the wrong width, undefined offsets, reads of write-only and writes of
// read-only registers). Random address/width/value streams against the bus with the
// PL011 mapped, interleaved with input from the terminal: the bus answers every
// access with a value or a BusError, never throws, and the UART keeps its invariants
// (the interrupt line follows the masked status; input beyond its buffer is counted,
// not lost silently).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MmioBus, Pl011, PL011_SIZE } from "../../src/vmm/index.js";
import { UART } from "./harness.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 300);

test("random MMIO streams against the bus and the PL011: results or BusErrors, never exceptions", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constantFrom("read" as const, "write" as const),
            address: fc.oneof(
              fc.integer({ min: UART - 8, max: UART + PL011_SIZE + 8 }),
              fc.integer({ min: UART, max: UART + 0x50 }),
              fc.constantFrom(-1, 2 ** 53, Number.NaN, UART + 0.5, 0),
            ),
            width: fc.constantFrom(0, 1, 2, 3, 4, 8, 16),
            value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          }),
          fc.record({
            kind: fc.constant("input" as const),
            bytes: fc.uint8Array({ maxLength: 40 }),
          }),
        ),
        { maxLength: 60 },
      ),
      (ops) => {
        let level = false;
        let out = 0;
        const uart = new Pl011((b) => void (out += b.length), { set: (l) => void (level = l) });
        const bus = new MmioBus();
        assert.ok(bus.register(UART, uart).ok);
        for (const op of ops) {
          if (op.kind === "input") uart.receive(op.bytes);
          else if (op.kind === "read") {
            const r = bus.read(op.address, op.width);
            if (r.ok) assert.ok(r.value >= 0n && r.value < 1n << BigInt(op.width * 8));
          } else bus.write(op.address, op.width, op.value);
        }
        // The line equals "some unmasked interrupt is raised" (UARTMIS != 0).
        const mis = bus.read(UART + 0x40, 4);
        assert.ok(mis.ok);
        assert.equal(level, mis.value !== 0n);
        assert.ok(out >= 0);
      },
    ),
    { numRuns: RUNS, seed: 0x011 },
  );
});
