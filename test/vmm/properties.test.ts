// Property tests for what the guest (MMIO accesses) and the host (the run structure)
// control, and for the Image header parser (style rule 12): nothing they send may
// throw, and every answer follows the checks the unit tests pin down.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { setLogSink } from "../../src/lib/log.js";
import { MmioBus } from "../../src/vmm/bus.js";
import { parseKernel } from "../../src/vmm/loader.js";
import { Pl011 } from "../../src/vmm/pl011.js";
import { RunView } from "../../src/vmm/run-structure.js";
import { handleMmio } from "../../src/vmm/vcpu-loop.js";
import { RateLimitedLog } from "../../src/lib/log.js";

setLogSink(() => {});

const UART = 0x0900_0000;
const access = fc.record({
  address: fc.oneof(fc.integer({ min: UART - 16, max: UART + 0x1010 }), fc.nat()),
  width: fc.constantFrom(0, 1, 2, 3, 4, 8, 16),
  value: fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map((a) => a[0] ?? 0n),
  write: fc.boolean(),
  input: fc.uint8Array({ maxLength: 20 }),
});

test("any sequence of guest accesses to the PL011 is answered without throwing, as the checks say", () => {
  fc.assert(
    fc.property(fc.array(access, { maxLength: 60 }), (accesses) => {
      const bus = new MmioBus();
      const uart = new Pl011(() => {}, { set: () => {} });
      assert.ok(bus.register(UART, uart).ok);
      for (const a of accesses) {
        uart.receive(a.input);
        const r = a.write ? bus.write(a.address, a.width, a.value) : bus.read(a.address, a.width);
        const inside = a.address >= UART && a.address + a.width <= UART + 0x1000;
        const valid = inside && [1, 2, 4].includes(a.width) && a.address % a.width === 0;
        assert.equal(r.ok, valid, JSON.stringify({ ...a, value: String(a.value) }));
        if (r.ok && !a.write) assert.ok((r.value as bigint) < 1n << BigInt(8 * a.width));
      }
    }),
    { numRuns: 300 },
  );
});

test("any bytes in the run structure decode to an exit; MMIO replies are always HANDLED or FAULT", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.integer({ min: 0, max: 4 }),
      (bytes, reason) => {
        const sab = new SharedArrayBuffer(4096);
        const raw = new Uint8Array(sab);
        raw.set(bytes);
        new DataView(sab).setUint32(8, reason, true);
        const view = new RunView(sab);
        const exit = view.exit();
        if (exit.kind !== "mmio") return;
        const bus = new MmioBus();
        assert.ok(bus.register(UART, new Pl011(() => {})).ok);
        handleMmio(new RateLimitedLog("t"), bus, view, exit);
        assert.ok([0, 1].includes(raw[16 + 21] ?? -1), "resume_action");
      },
    ),
    { numRuns: 500 },
  );
});

test("any kernel file parses or is refused; an accepted Image's plan numbers are sane", () => {
  const header = fc.uint8Array({ minLength: 64, maxLength: 200 }).map((b) => {
    // Half the time plant the magic so the Image path is exercised.
    if (b[0]! & 1) b.set([0x41, 0x52, 0x4d, 0x64], 56);
    return b;
  });
  fc.assert(
    fc.property(header, (bytes) => {
      const r = parseKernel(bytes);
      if (!r.ok) return;
      assert.equal(r.value.textOffset % 4096, 0);
      assert.ok(Number.isSafeInteger(r.value.footprint) && r.value.footprint >= bytes.length);
    }),
    { numRuns: 1000 },
  );
});
