// Property test of the vGIC's incremental selection: after every step of a random
// sequence of guest-visible operations (enable/disable, pend/clear, source levels,
// priority, group, routing, distributor and CPU-interface enables, PMR, acknowledge,
// EOI, deactivate, active bits), `highest` must equal a plain scan of every interrupt
// (the selection rule of IHI 0069 4.8, lowest INTID on ties), and each vCPU's IRQ
// line must say whether that candidate is signalled.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { VirtualGic, GICD_BASE, GICR_BASE } from "../../src/hyp/vgic/vgic.js";
import { Icc } from "../../src/hyp/vgic/cpuif.js";
import { DistCtlr, type GicCore } from "../../src/hyp/vgic/gic.js";
import { ESPI_BASE, ESPI_COUNT, type IrqBank, type Candidate } from "../../src/hyp/vgic/state.js";
import type { GicCpuInterface } from "../../src/hyp/cpu.js";

const VCPUS = 2;
/** A few INTIDs of every kind, so that operations collide often. */
const INTIDS = [5, 27, 30, 33, 40, 71, ESPI_BASE + 37];
const PRIORITIES = [0x00, 0x10, 0x80, 0xa0, 0xf0, 0xf8];

/** The selection as a plain scan over every interrupt (the implementation before the rewrite). */
function referenceHighest(core: GicCore, vcpu: number, group?: number): Candidate | undefined {
  const s = core.slots[vcpu];
  if (!s) return undefined;
  let best: Candidate | undefined;
  const consider = (bank: IrqBank, i: number, intid: number): void => {
    if (!bank.enabled[i] || bank.active[i] || !bank.pending(i)) return;
    const g = bank.group[i]!;
    if ((core.ctlr & (g ? DistCtlr.ENABLE_GRP1 : DistCtlr.ENABLE_GRP0)) === 0) return;
    if (group !== undefined && g !== group) return;
    const p = bank.priority[i]!;
    if (!best || p < best.priority) best = { intid, priority: p, group: g };
  };
  for (let i = 0; i < 32; i++) consider(s.bank, i, i);
  for (let i = 32; i < core.spiLimit; i++) if (core.targetOf(i) === vcpu) consider(core.spis, i, i);
  for (let i = 0; i < ESPI_COUNT; i++)
    if (core.targetOf(ESPI_BASE + i) === vcpu) consider(core.espis, i, ESPI_BASE + i);
  return best;
}

interface Rig {
  gic: VirtualGic;
  icc: GicCpuInterface[];
  lines: boolean[];
  levels: Map<number, boolean>;
}

function rig(): Rig {
  const levels = new Map<number, boolean>();
  const gic = new VirtualGic(VCPUS, 988, {
    sourceOf: (v) => ({ isAsserted: () => levels.get(v) ?? false }),
  });
  const lines: boolean[] = [];
  const icc: GicCpuInterface[] = [];
  for (let i = 0; i < VCPUS; i++) {
    lines.push(false);
    icc.push(
      gic.connectVcpu(
        i,
        { setIrqLine: (l) => (lines[i] = l), kick: () => undefined },
        (1n << 31n) | BigInt(i),
      ),
    );
  }
  return { gic, icc, lines, levels };
}

/** The frame offset of a bit register for `intid` as vCPU `v` reaches it. */
function bitRegister(v: number, intid: number, spiOffset: number, espiIndex: number) {
  if (intid < 32) return { ipa: GICR_BASE + v * 0x2_0000 + 0x1_0000 + spiOffset, bit: intid };
  if (intid < ESPI_BASE) return { ipa: GICD_BASE + spiOffset + 4 * (intid >> 5), bit: intid & 31 };
  const e = intid - ESPI_BASE;
  return { ipa: GICD_BASE + 0x1000 + 0x200 * espiIndex + 4 * (e >> 5), bit: e & 31 };
}

function priorityAddress(v: number, intid: number): number {
  if (intid < 32) return GICR_BASE + v * 0x2_0000 + 0x1_0400 + intid;
  if (intid < ESPI_BASE) return GICD_BASE + 0x400 + intid;
  return GICD_BASE + 0x2000 + (intid - ESPI_BASE);
}

function routeAddress(intid: number): number {
  return intid < ESPI_BASE
    ? GICD_BASE + 0x6000 + 8 * intid
    : GICD_BASE + 0x8000 + 8 * (intid - ESPI_BASE);
}

// Bit-register kinds: offset in the SPI/SGI frame, index among the ESPI bit registers.
const KIND = {
  group: [0x080, 0],
  setEnable: [0x100, 1],
  clearEnable: [0x180, 2],
  setPending: [0x200, 3],
  clearPending: [0x280, 4],
  setActive: [0x300, 5],
  clearActive: [0x380, 6],
} as const;

type Op =
  /** `on` matters for IGROUPR only (set or clear the bit); the others write one bit. */
  | { op: keyof typeof KIND; v: number; intid: number; on: boolean }
  | { op: "priority"; v: number; intid: number; p: number }
  | { op: "route"; intid: number; target: number; irm: boolean }
  | { op: "source"; intid: number; on: boolean }
  | { op: "timer"; v: number; outputs: number }
  | { op: "distCtlr"; value: number }
  | { op: "pmr" | "igrpen0" | "igrpen1" | "eoiMode"; v: number; value: number }
  | { op: "iar"; v: number; group: number }
  | { op: "eoi" | "dir"; v: number; intid: number; group: number };

const vcpu = fc.integer({ min: 0, max: VCPUS - 1 });
const intid = fc.constantFrom(...INTIDS);
const spi = fc.constantFrom(...INTIDS.filter((i) => i >= 32));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constantFrom(...(Object.keys(KIND) as (keyof typeof KIND)[])),
      v: vcpu,
      intid,
      on: fc.boolean(),
    }),
  },
  fc.record({
    op: fc.constant("priority" as const),
    v: vcpu,
    intid,
    p: fc.constantFrom(...PRIORITIES),
  }),
  fc.record({
    op: fc.constant("route" as const),
    intid: spi,
    target: fc.integer({ min: 0, max: 2 }),
    irm: fc.boolean(),
  }),
  fc.record({ op: fc.constant("source" as const), intid: spi, on: fc.boolean() }),
  fc.record({
    op: fc.constant("timer" as const),
    v: vcpu,
    outputs: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ op: fc.constant("distCtlr" as const), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    op: fc.constantFrom("pmr" as const, "igrpen0" as const, "igrpen1" as const, "eoiMode" as const),
    v: vcpu,
    value: fc.constantFrom(0, 1, 0x80, 0xa0, 0xf0, 0xff),
  }),
  fc.record({ op: fc.constant("iar" as const), v: vcpu, group: fc.integer({ min: 0, max: 1 }) }),
  fc.record({
    op: fc.constantFrom("eoi" as const, "dir" as const),
    v: vcpu,
    intid,
    group: fc.integer({ min: 0, max: 1 }),
  }),
);

function apply(r: Rig, o: Op): void {
  const mmio = (v: number, ipa: number, size: number, isWrite: boolean, value = 0n) =>
    r.gic.mmio(v, { ipa, size, isWrite, value });
  switch (o.op) {
    case "priority":
      mmio(o.v, priorityAddress(o.v, o.intid), 1, true, BigInt(o.p));
      return;
    case "route": {
      const route = (o.irm ? 1n << 31n : 0n) | BigInt(o.target);
      mmio(0, routeAddress(o.intid), 8, true, route);
      return;
    }
    case "source":
      r.levels.set(o.intid, o.on);
      if (o.on) r.gic.assert(o.intid);
      else r.gic.clear(o.intid);
      return;
    case "timer":
      r.gic.setTimerOutputs(o.v, o.outputs);
      return;
    case "distCtlr":
      mmio(0, GICD_BASE, 4, true, BigInt(o.value));
      return;
    case "pmr":
      r.icc[o.v]!.write(Icc.PMR, BigInt(o.value));
      return;
    case "igrpen0":
    case "igrpen1":
      r.icc[o.v]!.write(o.op === "igrpen0" ? Icc.IGRPEN0 : Icc.IGRPEN1, BigInt(o.value & 1));
      return;
    case "eoiMode":
      r.icc[o.v]!.write(Icc.CTLR, BigInt((o.value & 1) << 1));
      return;
    case "iar":
      r.icc[o.v]!.read(o.group === 1 ? Icc.IAR1 : Icc.IAR0);
      return;
    case "eoi":
      r.icc[o.v]!.write(o.group === 1 ? Icc.EOIR1 : Icc.EOIR0, BigInt(o.intid));
      return;
    case "dir":
      r.icc[o.v]!.write(Icc.DIR, BigInt(o.intid));
      return;
    default: {
      const [offset, espiIndex] = KIND[o.op];
      const reg = bitRegister(o.v, o.intid, offset, espiIndex);
      if (o.op === "group") {
        // IGROUPR is read-modify-write; the others are write-one-to-act.
        const old = mmio(o.v, reg.ipa, 4, false);
        const bit = 1n << BigInt(reg.bit);
        mmio(o.v, reg.ipa, 4, true, o.on ? old | bit : old & ~bit);
      } else mmio(o.v, reg.ipa, 4, true, 1n << BigInt(reg.bit));
    }
  }
}

function check(r: Rig, step: number): void {
  const core = r.gic.core;
  for (let v = 0; v < VCPUS; v++) {
    for (const g of [undefined, 0, 1]) {
      assert.deepEqual(
        core.highest(v, g),
        referenceHighest(core, v, g),
        `step ${step}: highest(vCPU ${v}, group ${g})`,
      );
    }
    const g1 = referenceHighest(core, v, 1);
    const line = g1 !== undefined && core.signals(v, g1);
    assert.equal(r.lines[v], line, `step ${step}: IRQ line of vCPU ${v}`);
  }
}

test("vGIC highest equals a plain scan, and the IRQ line follows it, over random operations", () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 10, maxLength: 80, size: "max" }), (ops) => {
      const r = rig();
      // Start from what an OS sets up (groups and CPU interfaces on, PMR open) so that
      // the random steps reach delivery; the steps may still turn any of it off.
      const preamble: Op[] = [{ op: "distCtlr", value: 3 }];
      for (let v = 0; v < VCPUS; v++)
        for (const op of ["igrpen0", "igrpen1", "pmr"] as const)
          preamble.push({ op, v, value: op === "pmr" ? 0xff : 1 });
      preamble.forEach((o) => apply(r, o));
      ops.forEach((o, step) => {
        apply(r, o);
        check(r, step);
      });
    }),
    { numRuns: 150 },
  );
});
