// Attack: a guest that writes random values to random GIC distributor and
// redistributor registers (both frames of its own vCPU, plus the SGI frame) and to the
// ICC_* system registers (EOI/DIR of INTIDs never acknowledged, SGIs to anyone, PMR,
// BPR, group enables, active priorities), with interrupts masked so it keeps running.
// The virtual GIC must never throw out of the hypervisor: the guest reaches its end
// marker (or its VM alone fails), and the next VM still runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { A64, mov64 } from "./a64.js";
import { DONE, FAULT_REPORT, kitProgram } from "./guest-kit.js";
import { GICD, GICR, accounting, openDevice, startGuest, teardown } from "./harness.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 12);

/** [op1, CRn, CRm, op2] of writable ICC registers, and readable ones. */
const ICC_WRITE = [
  [0, 12, 12, 1], // EOIR1
  [0, 12, 11, 1], // DIR
  [0, 4, 6, 0], // PMR
  [0, 12, 12, 3], // BPR1
  [0, 12, 12, 4], // CTLR
  [0, 12, 12, 7], // IGRPEN1
  [0, 12, 11, 5], // SGI1R
  [0, 12, 11, 6], // ASGI1R
  [0, 12, 11, 7], // SGI0R
  [0, 12, 9, 0], // AP1R0
  [0, 12, 8, 1], // EOIR0
  [0, 12, 12, 6], // IGRPEN0
] as const;
const ICC_READ = [
  [0, 12, 12, 0], // IAR1
  [0, 12, 12, 2], // HPPIR1
  [0, 12, 11, 3], // RPR
  [0, 12, 8, 0], // IAR0
] as const;

const opArb = fc.oneof(
  fc.record({
    kind: fc.constant("gicd" as const),
    off: fc.integer({ min: 0, max: 0xfffc }),
    value: fc.bigInt({ min: 0n, max: 0xffff_ffffn }),
  }),
  fc.record({
    kind: fc.constant("gicr" as const),
    off: fc.integer({ min: 0, max: 0x1fffc }),
    value: fc.bigInt({ min: 0n, max: 0xffff_ffffn }),
  }),
  fc.record({
    kind: fc.constant("icc-w" as const),
    reg: fc.nat(ICC_WRITE.length - 1),
    value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
  fc.record({ kind: fc.constant("icc-r" as const), reg: fc.nat(ICC_READ.length - 1) }),
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function program(ops: readonly Op[]): number[] {
  const words: number[] = [];
  for (const op of ops) {
    if (op.kind === "gicd" || op.kind === "gicr") {
      const base = op.kind === "gicd" ? GICD : GICR;
      words.push(
        ...mov64(2, BigInt(base + (op.off & ~3))),
        ...mov64(3, op.value),
        A64.strW(3, 2),
        A64.ldrW(4, 2),
      );
    } else if (op.kind === "icc-w") {
      const [op1, crn, crm, op2] = ICC_WRITE[op.reg]!;
      words.push(...mov64(3, op.value), A64.msr(op1, crn, crm, op2, 3));
    } else {
      const [op1, crn, crm, op2] = ICC_READ[op.reg]!;
      words.push(A64.mrs(4, op1, crn, crm, op2));
    }
  }
  return words;
}

test("random vGIC register and ICC traffic from a guest never breaks the hypervisor", async () => {
  const { gunyah, platform } = await openDevice(101);
  const before = accounting(platform);
  let completed = 0;
  let crashed = 0;
  let faults = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
      const g = await startGuest(gunyah, kitProgram(program(ops)));
      let finished = false;
      for (let i = 0; i < 64 && !finished; i++) {
        const r = await g.vcpus[0]!.run();
        assert.ok(r.ok, r.ok ? "" : r.error.message);
        if (r.value.reason === "mmio" && r.value.physAddr === BigInt(FAULT_REPORT)) faults++;
        if (r.value.reason === "status") {
          finished = true; // the guest broke its own VM
          crashed++;
        } else if (r.value.reason === "mmio" && r.value.physAddr === BigInt(DONE)) {
          finished = true;
          completed++;
        }
      }
      assert.ok(finished, "the guest ran to its end marker (faults reported on the way)");
      await teardown(g);
      g.mem.close();
      assert.equal(accounting(platform), before);
    }),
    { numRuns: RUNS, seed: 0x61c },
  );
  if (process.env.GUNYAH_FUZZ_VERBOSE) console.log({ completed, crashed, faults });
  assert.ok(completed > 0, "some guests ran all their GIC traffic");
  // The hypervisor still runs a plain guest afterwards.
  const g = await startGuest(gunyah, kitProgram([]));
  const r = await g.vcpus[0]!.run();
  assert.ok(r.ok && r.value.reason === "mmio");
  await teardown(g);
  gunyah.close();
});
