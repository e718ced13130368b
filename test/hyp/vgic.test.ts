import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualGic, GICD_BASE, GICR_BASE } from "../../src/hyp/vgic/vgic.js";
import { Icc } from "../../src/hyp/vgic/cpuif.js";
import type { GicCpuInterface } from "../../src/hyp/cpu.js";

interface Port {
  line: boolean;
  kicks: number;
}

function setup(vcpus = 2, sources = new Map<number, { isAsserted(): boolean }>()) {
  const gic = new VirtualGic(vcpus, 988, { sourceOf: (v) => sources.get(v) });
  const ports: Port[] = [];
  const icc: GicCpuInterface[] = [];
  for (let i = 0; i < vcpus; i++) {
    const p: Port = { line: false, kicks: 0 };
    ports.push(p);
    icc.push(
      gic.connectVcpu(
        i,
        { setIrqLine: (l) => (p.line = l), kick: () => p.kicks++ },
        (1n << 31n) | BigInt(i),
      ),
    );
  }
  const rd = (ipa: number, size = 4) => gic.mmio(0, { ipa, size, isWrite: false, value: 0n });
  const wr = (ipa: number, value: bigint, size = 4) =>
    gic.mmio(0, { ipa, size, isWrite: true, value });
  return { gic, ports, icc, rd, wr, sources };
}

/** What Linux's gic_dist_init / gic_cpu_init do, condensed. */
function linuxInit(s: ReturnType<typeof setup>) {
  s.wr(GICD_BASE, 0n);
  for (let n = 1; n < 32; n++) s.wr(GICD_BASE + 0x80 + 4 * n, 0xffff_ffffn); // group 1
  s.wr(GICD_BASE, 0x13n); // ARE | EnableGrp1 | EnableGrp0
  s.icc.forEach((c, i) => {
    const frame = GICR_BASE + i * 0x2_0000;
    s.gic.mmio(i, { ipa: frame + 0x14, size: 4, isWrite: true, value: 0n }); // WAKER
    s.gic.mmio(i, { ipa: frame + 0x1_0080, size: 4, isWrite: true, value: 0xffff_ffffn }); // IGROUPR0
    assert.ok(c.write(Icc.PMR, 0xf0n));
    assert.ok(c.write(Icc.BPR1, 0n));
    assert.ok(c.write(Icc.CTLR, 0n));
    assert.ok(c.write(Icc.IGRPEN1, 1n));
  });
}

test("GICD identification: PIDR2 says GICv3, TYPER lines, ESPI and ID bits, CTLR has ARE and DS", () => {
  const s = setup();
  assert.equal(s.rd(GICD_BASE + 0xffe8) & 0xf0n, 0x30n);
  const typer = s.rd(GICD_BASE + 4);
  assert.equal(typer & 0x1fn, 31n); // 1020 INTIDs
  assert.equal((typer >> 19n) & 0x1fn, 12n); // 13-bit INTIDs: extended SPIs up to 5119
  assert.equal((typer >> 8n) & 1n, 1n);
  assert.equal((typer >> 27n) & 0x1fn, 31n);
  assert.equal(s.rd(GICD_BASE) & 0x50n, 0x50n);
});

test("GICR: TYPER carries affinity and processor number, Last on the final frame; WAKER wakes", () => {
  const s = setup(2);
  const t0 = s.gic.mmio(0, { ipa: GICR_BASE + 8, size: 8, isWrite: false, value: 0n });
  const t1 = s.gic.mmio(0, { ipa: GICR_BASE + 0x2_0000 + 8, size: 8, isWrite: false, value: 0n });
  assert.equal(t0 >> 32n, 0n);
  assert.equal(t0 & 0x10n, 0n);
  assert.equal(t1 >> 32n, 1n);
  assert.equal((t1 >> 8n) & 0xffffn, 1n);
  assert.equal(t1 & 0x10n, 0x10n);
  assert.equal(s.rd(GICR_BASE + 0x14), 6n);
  s.wr(GICR_BASE + 0x14, 0n);
  assert.equal(s.rd(GICR_BASE + 0x14), 0n);
  assert.equal(s.rd(GICR_BASE + 0xffe8) & 0xf0n, 0x30n);
});

test("ICC: SRE reads one, CTLR reports 5 priority bits, write-only registers are UNDEFINED to read", () => {
  const s = setup(1);
  const c = s.icc[0]!;
  assert.equal(c.read(Icc.SRE), 7n);
  assert.equal((c.read(Icc.CTLR)! >> 8n) & 7n, 4n);
  assert.equal(c.read(Icc.EOIR1), undefined);
  assert.equal(c.write(Icc.IAR1, 0n), false);
  c.write(Icc.PMR, 0xffn);
  assert.equal(c.read(Icc.PMR), 0xf8n);
  assert.equal(c.read(Icc.IAR1), 1023n);
});

test("an SPI from a source: pending -> IRQ line -> IAR1 -> EOIR1; a held level re-pends at deactivation", () => {
  let held = true;
  const s = setup(1, new Map([[40, { isAsserted: () => held }]]));
  linuxInit(s);
  s.wr(GICD_BASE + 0x400 + 40, 0xa0n, 1); // priority
  s.wr(GICD_BASE + 0x6000 + 8 * 40, 0n, 8); // route to vCPU 0
  s.wr(GICD_BASE + 0x100 + 4, 1n << 8n); // enable INTID 40
  s.gic.assert(40);
  assert.equal(s.ports[0]!.line, true);
  assert.ok(s.ports[0]!.kicks > 0);
  const c = s.icc[0]!;
  assert.equal(c.read(Icc.HPPIR1), 40n);
  assert.equal(c.read(Icc.IAR1), 40n);
  assert.equal(s.ports[0]!.line, false);
  assert.equal(c.read(Icc.RPR), 0xa0n);
  assert.equal((s.rd(GICD_BASE + 0x300 + 4) >> 8n) & 1n, 1n); // active
  c.write(Icc.EOIR1, 40n);
  assert.equal(c.read(Icc.RPR), 0xffn);
  assert.equal(s.ports[0]!.line, true, "level still held: pending again");
  assert.equal(c.read(Icc.IAR1), 40n);
  held = false;
  c.write(Icc.EOIR1, 40n);
  assert.equal(s.ports[0]!.line, false);
});

test("PMR masks, priorities order delivery, EOImode 1 splits drop and deactivate", () => {
  const s = setup(1);
  linuxInit(s);
  for (const [intid, prio] of [
    [40, 0xa0],
    [41, 0x80],
  ] as const) {
    s.wr(GICD_BASE + 0x400 + intid, BigInt(prio), 1);
    s.wr(
      GICD_BASE + 0x100 + 4,
      (s.rd(GICD_BASE + 0x100 + 4) | (1n << BigInt(intid - 32))) & 0xffff_ffffn,
    );
  }
  const c = s.icc[0]!;
  c.write(Icc.PMR, 0x80n);
  s.gic.assert(40);
  s.gic.assert(41);
  assert.equal(s.ports[0]!.line, false, "both at or below the mask");
  c.write(Icc.PMR, 0xf0n);
  c.write(Icc.CTLR, 2n); // EOImode 1
  assert.equal(c.read(Icc.IAR1), 41n);
  // 40 has lower priority than the running 0x80: no preemption.
  assert.equal(s.ports[0]!.line, false);
  c.write(Icc.EOIR1, 41n);
  assert.equal(s.ports[0]!.line, true);
  assert.equal((s.rd(GICD_BASE + 0x300 + 4) >> 9n) & 1n, 1n, "41 still active until DIR");
  c.write(Icc.DIR, 41n);
  assert.equal((s.rd(GICD_BASE + 0x300 + 4) >> 9n) & 1n, 0n);
  assert.equal(c.read(Icc.IAR1), 40n);
});

test("SGIs via ICC_SGI1R_EL1 reach the target list (or everyone else with IRM)", () => {
  const s = setup(2);
  linuxInit(s);
  s.gic.mmio(1, { ipa: GICR_BASE + 0x2_0000 + 0x1_0100, size: 4, isWrite: true, value: 0xffffn });
  s.gic.mmio(0, { ipa: GICR_BASE + 0x1_0100, size: 4, isWrite: true, value: 0xffffn });
  s.icc[0]!.write(Icc.SGI1R, (3n << 24n) | 0b10n); // SGI 3 to Aff0 = 1
  assert.equal(s.ports[1]!.line, true);
  assert.equal(s.ports[0]!.line, false);
  assert.equal(s.icc[1]!.read(Icc.IAR1), 3n);
  s.icc[1]!.write(Icc.SGI1R, (5n << 24n) | (1n << 40n)); // IRM: all but self
  assert.equal(s.icc[0]!.read(Icc.IAR1), 5n);
});

test("timer outputs drive PPI 27 (virtual) and PPI 30 (physical) as levels", () => {
  const s = setup(1);
  linuxInit(s);
  s.gic.mmio(0, { ipa: GICR_BASE + 0x1_0100, size: 4, isWrite: true, value: 1n << 27n });
  s.gic.setTimerOutputs(0, 1);
  assert.equal(s.gic.hasPending(0), true);
  assert.equal(s.icc[0]!.read(Icc.IAR1), 27n);
  s.gic.setTimerOutputs(0, 0);
  s.icc[0]!.write(Icc.EOIR1, 27n);
  assert.equal(s.gic.hasPending(0), false);
  s.gic.setTimerOutputs(0, 2);
  assert.equal(s.gic.hasPending(0), false, "PPI 30 not enabled");
});

test("unaligned and odd-width accesses are RAZ/WI", () => {
  const s = setup(1);
  assert.equal(s.rd(GICD_BASE + 2, 2), 0n);
  s.wr(GICD_BASE + 1, 0xffn, 1);
  assert.equal(s.rd(GICD_BASE) & 3n, 0n);
  assert.equal(s.gic.claims(GICR_BASE + 0x2_0000), false);
  assert.equal(s.gic.claims(GICD_BASE + 0xfffc), true);
});

test("extended SPIs: IROUTERnE, ISENABLERnE, IPRIORITYRnE and ICFGRnE route INTID 4101 to vCPU 1", () => {
  const s = setup(2);
  linuxInit(s);
  const e = 5; // INTID 4101
  s.wr(GICD_BASE + 0x1000, 1n << BigInt(e)); // IGROUPR0E: group 1
  s.wr(GICD_BASE + 0x2000 + e, 0x80n, 1); // IPRIORITYR1E byte
  s.wr(GICD_BASE + 0x8000 + 8 * e, 1n, 8); // IROUTER5E: Aff0 = 1
  s.wr(GICD_BASE + 0x1200, 1n << BigInt(e)); // ISENABLER0E
  s.wr(GICD_BASE + 0x3000, 2n << BigInt(2 * e)); // ICFGR0E: edge
  assert.equal(s.rd(GICD_BASE + 0x3000), 2n << BigInt(2 * e));
  assert.equal(s.rd(GICD_BASE + 0x2000 + e, 1), 0x80n);
  assert.equal(s.gic.validVirq(4101), true);
  assert.equal(s.gic.validVirq(5120), false);
  s.gic.assert(4101);
  assert.equal(s.ports[1]!.line, true);
  assert.equal(s.ports[0]!.line, false);
  assert.equal((s.rd(GICD_BASE + 0x1600) >> BigInt(e)) & 1n, 1n, "ISPENDR0E shows it pending");
  assert.equal(s.icc[1]!.read(Icc.IAR1), 4101n);
  assert.equal((s.icc[1]!.read(Icc.CTLR)! >> 19n) & 1n, 1n, "ExtRange");
  s.icc[1]!.write(Icc.EOIR1, 4101n);
  assert.equal((s.rd(GICD_BASE + 0x1a00) >> BigInt(e)) & 1n, 0n, "no longer active");
  s.wr(GICD_BASE + 0x1400, 1n << BigInt(e)); // ICENABLER0E
  assert.equal(s.rd(GICD_BASE + 0x1200), 0n);
});
