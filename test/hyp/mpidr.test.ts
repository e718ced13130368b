// vgic_set_mpidr_mapping (0x67): the checks of public Gunyah's hypercall
// (hyp/vm/vgic/src/distrib.c), then what the mapping changes: the MPIDR_EL1 a guest
// reads, GICR_TYPER, IROUTER routing, SGI targets and PSCI CPU_ON / AFFINITY_INFO.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError, MmioAction, Rights, VcpuRunState } from "../../src/hyp/abi/index.js";
import {
  DEFAULT_MPIDR_MAPPING,
  indexToMpidr,
  makeMpidrMapping,
  mpidrToIndex,
  type MpidrMapping,
} from "../../src/hyp/mpidr.js";
import { Icc } from "../../src/hyp/vgic/cpuif.js";
import { GICD_BASE, GICR_BASE, VirtualGic } from "../../src/hyp/vgic/vgic.js";
import { A64, assemble, mov32 } from "./a64.js";
import { buildGuest, GUEST_RAM_IPA, mapIntoRoot, run } from "./guest.js";
import { Call, boot, call, create, expectError, ok } from "./helpers.js";

const SET = Call.VGIC_SET_MPIDR_MAPPING;
/** What Gunyah's RM asks for (vm_config.c handle_interrupt_controller): linear. */
const LINEAR = [0x7fffn, 0n, 8n, 16n, 24n, 0n] as const;
/** A non-identity layout: index bits 7:0 are Aff1, index bit 8 is Aff0. */
const CLUSTER = [0xff01n, 8n, 0n, 0n, 0n, 0n] as const;

function mapping(args: readonly bigint[]): MpidrMapping {
  const m = makeMpidrMapping(args[0]!, args.slice(1, 5), args[5]!);
  assert.ok(m.ok);
  return m.value;
}

test("vgic_set_mpidr_mapping: every refused argument, in Gunyah's order", () => {
  const { rm } = boot();
  const vic = create(rm, "vic");
  const refused: Array<[string, readonly bigint[]]> = [
    ["a shift of 32", [0xffn, 32n, 8n, 16n, 24n, 0n]],
    ["a shift with bits above 31", [0xffn, 0n, 8n, 16n, 1n << 32n, 0n]],
    ["Aff0 and Aff1 overlapping", [0xffffn, 0n, 4n, 16n, 24n, 0n]],
    ["Aff3 overlapping Aff0", [0x1_0000_0003n, 0n, 8n, 16n, 1n, 0n]],
    ["a gap (sparse index bits)", [0x0303n, 0n, 4n, 16n, 24n, 0n]],
    ["index bits not from bit 0", [0xffn, 1n, 9n, 17n, 25n, 0n]],
    ["16 index bits (could make CPU_INDEX_INVALID)", [0xffffn, 0n, 8n, 16n, 24n, 0n]],
    ["mt not a bool", [0x7fffn, 0n, 8n, 16n, 24n, 2n]],
  ];
  for (const [why, args] of refused) {
    const [e] = call(rm.hvc, SET, vic, ...args);
    assert.equal(e, HypError.ARGUMENT_INVALID, why);
  }
  // Cap checks: not decodable, an empty slot, the wrong type, a copy without activate.
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, SET, 0x1234n, ...LINEAR);
  const bell = create(rm, "doorbell");
  expectError(rm.hvc, HypError.CSPACE_WRONG_OBJECT_TYPE, SET, bell, ...LINEAR);
  const copy = ok(
    rm.hvc,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    vic,
    rm.caps.cspace,
    BigInt(Rights.vic.ATTACH_VCPU),
  );
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, SET, copy, ...LINEAR);
  // Accepted in INIT: the RM's linear mapping, the cluster one, with mt, none at all;
  // bits of the mask outside Aff0..Aff3 are not looked at (MPIDR_EL1_cast).
  for (const args of [LINEAR, CLUSTER, [0x7fffn, 0n, 8n, 16n, 24n, 1n], [0n, 0n, 0n, 0n, 0n, 0n]])
    ok(rm.hvc, SET, vic, ...args);
  ok(rm.hvc, SET, vic, 0xffff_ff00_ff00_0000n | 0x3n, 0n, 0n, 0n, 0n, 0n);
  // Once active: OBJECT_STATE, before the arguments are looked at.
  ok(rm.hvc, Call.VIC_CONFIGURE, vic, 2n, 64n, 0n, 0n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, vic);
  expectError(rm.hvc, HypError.OBJECT_STATE, SET, vic, ...LINEAR);
  expectError(rm.hvc, HypError.OBJECT_STATE, SET, vic, 0xffffn, 99n, 0n, 0n, 0n, 7n);
});

test("index <-> MPIDR: the default and the RM's linear mapping give the MPIDRs of before", () => {
  const linear = mapping(LINEAR);
  for (let i = 0; i < 64; i++) {
    const before = (1n << 31n) | BigInt(i & 0xff) | (BigInt(i >> 8) << 8n);
    assert.equal(indexToMpidr(DEFAULT_MPIDR_MAPPING, i), before);
    assert.equal(indexToMpidr(linear, i), before);
    assert.equal(mpidrToIndex(linear, before), i);
  }
  const cluster = mapping(CLUSTER);
  assert.equal(indexToMpidr(cluster, 1), 0x8000_0100n);
  assert.equal(indexToMpidr(cluster, 0x103), 0x8000_0301n);
  assert.equal(mpidrToIndex(cluster, 0x301n), 0x103);
  assert.equal(mpidrToIndex(cluster, 0x2n), undefined, "Aff0 bit 1 is outside the mask");
  assert.equal(mpidrToIndex(cluster, 0x1_0000_0000n), undefined, "Aff3 has no bits");
  // No index bits: uniprocessor (U, bit 30); mt sets MT (bit 24).
  assert.equal(indexToMpidr(mapping([0n, 0n, 0n, 0n, 0n, 0n]), 0), 0xc000_0000n);
  assert.equal(indexToMpidr(mapping([0xffn, 0n, 8n, 16n, 24n, 1n]), 5), 0x8100_0005n);
});

/** A vGIC with 2 vCPUs connected under `m`, as a vic with that mapping makes it. */
function gicWith(m: MpidrMapping) {
  const gic = new VirtualGic(2, 64, { sourceOf: () => ({ isAsserted: () => true }) }, m);
  const lines = [false, false];
  const icc = [0, 1].map((i) =>
    gic.connectVcpu(
      i,
      { setIrqLine: (l) => (lines[i] = l), kick: () => undefined },
      indexToMpidr(m, i),
    ),
  );
  const wr = (vcpu: number, ipa: number, value: bigint, size = 4) =>
    gic.mmio(vcpu, { ipa, size, isWrite: true, value });
  wr(0, GICD_BASE, 0x12n); // ARE | EnableGrp1
  icc.forEach((c, i) => {
    const frame = GICR_BASE + i * 0x2_0000;
    wr(i, frame + 0x14, 0n); // WAKER
    wr(i, frame + 0x1_0080, 0xffff_ffffn); // IGROUPR0
    wr(i, frame + 0x1_0100, 0xffffn); // ISENABLER0: SGIs
    assert.ok(c.write(Icc.PMR, 0xf0n));
    assert.ok(c.write(Icc.IGRPEN1, 1n));
  });
  return { gic, icc, lines, wr };
}

test("cluster mapping: GICR_TYPER affinity, IROUTER and SGI targets name vCPUs through it", () => {
  const s = gicWith(mapping(CLUSTER));
  const typer = (i: number) =>
    s.gic.mmio(0, { ipa: GICR_BASE + i * 0x2_0000 + 8, size: 8, isWrite: false, value: 0n });
  assert.equal(typer(0) >> 32n, 0n);
  assert.equal(typer(1) >> 32n, 0x100n, "vCPU 1 is Aff1 = 1");
  assert.equal((typer(1) >> 8n) & 0xffffn, 1n, "processor number stays the index");
  // SPI 40 enabled, group 1, asserted by its (always asserted) source.
  s.wr(0, GICD_BASE + 0x84, 0xffff_ffffn);
  s.wr(0, GICD_BASE + 0x104, 1n << 8n);
  const irouter = GICD_BASE + 0x6000 + 40 * 8;
  s.wr(0, irouter, 0x100n, 8); // Aff1 = 1: vCPU 1
  s.gic.assert(40);
  assert.deepEqual(s.lines, [false, true]);
  assert.equal(s.icc[1]!.read(Icc.IAR1), 40n);
  assert.ok(s.icc[1]!.write(Icc.EOIR1, 40n));
  // Aff0 = 1 names index 256, past the vCPUs; Aff0 = 2 has a bit outside Aff0's
  // mask: either way the SPI is routed nowhere (vgic_get_index_for_mpidr).
  s.wr(0, irouter, 0x1n, 8);
  assert.deepEqual(s.lines, [false, false]);
  s.wr(0, irouter, 0x2n, 8);
  assert.deepEqual(s.lines, [false, false]);
  s.wr(0, irouter, 0x0n, 8);
  assert.deepEqual(s.lines, [true, false]);
  assert.equal(s.icc[0]!.read(Icc.IAR1), 40n);
  s.gic.clear(40);
  // SGI 3 to Aff1 = 1, TargetList bit 0 (Aff0 = 0): vCPU 1. Bit 1 (Aff0 = 1) is no vCPU.
  s.icc[0]!.write(Icc.SGI1R, (3n << 24n) | (1n << 16n) | 0b10n);
  assert.equal(s.lines[1], false);
  s.icc[0]!.write(Icc.SGI1R, (3n << 24n) | (1n << 16n) | 0b01n);
  assert.equal(s.lines[1], true);
  assert.equal(s.icc[1]!.read(Icc.IAR1), 3n);
  // The default mapping's target (Aff0 = 1) reaches nobody here.
  s.icc[1]!.write(Icc.SGI1R, (5n << 24n) | 0b10n);
  assert.equal(s.icc[0]!.read(Icc.IAR1), 1023n);
});

test("default mapping: SGI target lists use RS (Aff0 = RS * 16 + bit), IROUTER by Aff0", () => {
  const s = gicWith(DEFAULT_MPIDR_MAPPING);
  s.icc[0]!.write(Icc.SGI1R, (2n << 24n) | (1n << 44n) | 0b10n); // RS 1: Aff0 17, no vCPU
  assert.deepEqual(s.lines, [false, false]);
  s.icc[0]!.write(Icc.SGI1R, (2n << 24n) | 0b11n); // both, itself included
  assert.deepEqual(s.lines, [true, true]);
});

/**
 * Runs a vCPU until it has made `n` UART stores (VMMIO writes), or it waits for an
 * interrupt; a vCPU stopped at a store is resumed (EMULATE) by the next call.
 */
function uartReader(rm: ReturnType<typeof boot>["rm"]) {
  const atStore = new Set<bigint>();
  return (vcpu: bigint, n: number): bigint[] => {
    const out: bigint[] = [];
    for (let i = 0; i < 50 && out.length < n; i++) {
      const r = atStore.has(vcpu) ? run(rm, vcpu, 0n, BigInt(MmioAction.EMULATE)) : run(rm, vcpu);
      atStore.delete(vcpu);
      if (r[1] === BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE)) {
        atStore.add(vcpu);
        out.push(r[4]!);
      } else if (r[1] !== BigInt(VcpuRunState.READY)) break;
    }
    return out;
  };
}

test("a guest under the cluster mapping: MPIDR_EL1, PSCI CPU_ON and AFFINITY_INFO by the mapped MPIDR, SGI by affinity", () => {
  const UART = 0x0900_0000;
  const SECOND = 0x400;
  const hvc = (fn: number, x1: number, x2 = 0, x3 = 0) => [
    ...mov32(0, fn),
    ...mov32(1, x1),
    ...mov32(2, x2),
    ...mov32(3, x3),
    A64.hvc(0),
    ...mov32(4, UART),
    A64.strX(0, 4),
  ];
  const STR = (value: number, addr: number) => [
    ...mov32(1, value),
    ...mov32(2, addr),
    A64.strW(1, 2),
  ];
  const boot0 = [
    A64.mrs(5, 0, 0, 0, 5), // MPIDR_EL1
    ...mov32(4, UART),
    A64.strX(5, 4),
    ...STR(0x12, GICD_BASE), // ARE | EnableGrp1
    ...hvc(0xc400_0004, 0x100), // AFFINITY_INFO(0x100): OFF
    ...hvc(0xc400_0003, 0x1, GUEST_RAM_IPA + SECOND), // Aff0 = 1: index 256, invalid
    ...hvc(0xc400_0003, 0x200, GUEST_RAM_IPA + SECOND), // index 2: well-formed, absent
    ...hvc(0xc400_0003, 0x100, GUEST_RAM_IPA + SECOND, 0x77), // vCPU 1
    ...hvc(0xc400_0004, 0x100), // ON
    ...mov32(1, (1 << 24) | (1 << 16) | 1), // SGI 1 to Aff1 = 1, Aff0 = 0
    A64.msr(0, 12, 11, 5, 1), // ICC_SGI1R_EL1
    A64.spin(),
  ];
  const frame1 = GICR_BASE + 0x2_0000;
  const second = [
    ...mov32(4, UART),
    A64.strX(0, 4), // the context id
    A64.mrs(5, 0, 0, 0, 5),
    ...mov32(4, UART),
    A64.strX(5, 4),
    ...mov32(5, GUEST_RAM_IPA + 0x800),
    A64.msr(0, 12, 0, 0, 5), // VBAR_EL1
    ...STR(0, frame1 + 0x14), // WAKER
    ...STR(1 << 1, frame1 + 0x1_0080), // IGROUPR0: SGI 1 group 1
    ...STR(1 << 1, frame1 + 0x1_0100), // ISENABLER0: SGI 1
    ...mov32(5, 0xf0),
    A64.msr(0, 4, 6, 0, 5), // PMR
    ...mov32(5, 1),
    A64.msr(0, 12, 12, 7, 5), // IGRPEN1
    A64.daifClr(2),
    A64.wfi(),
    A64.back(1),
  ];
  const program = new Array<number>(0x300).fill(A64.nop());
  boot0.forEach((w, i) => (program[i] = w));
  second.forEach((w, i) => (program[SECOND / 4 + i] = w));
  const handler = [A64.mrs(1, 0, 12, 12, 0), ...mov32(3, UART), A64.strW(1, 3), A64.spin()];
  handler.forEach((w, i) => (program[(0x800 + 0x280) / 4 + i] = w));

  const { rm } = boot();
  const g = buildGuest(rm, { vcpus: 2, vic: true, mpidrMapping: CLUSTER });
  const pa = mapIntoRoot(rm, g);
  assert.ok(rm.memory.write(pa, assemble(program)).ok);
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, BigInt(UART), 0x1000n, 0n);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const psci = (v: number) => BigInt.asUintN(64, BigInt(v));
  const uart = uartReader(rm);
  assert.deepEqual(uart(g.vcpus[0]!, 6), [
    0x8000_0000n,
    1n, // AFFINITY_INFO: OFF
    psci(-2), // INVALID_PARAMETERS
    psci(-6), // INTERNAL_FAILURE, as Gunyah's psci_cpu_on answers
    0n, // SUCCESS
    0n, // AFFINITY_INFO: ON
  ]);
  assert.deepEqual(uart(g.vcpus[1]!, 2), [0x77n, 0x8000_0100n]);
  assert.deepEqual(uart(g.vcpus[1]!, 1), [], "vCPU 1 waits for its SGI");
  assert.deepEqual(uart(g.vcpus[0]!, 1), [], "vCPU 0 sends it and spins");
  assert.deepEqual(uart(g.vcpus[1]!, 1), [1n], "vCPU 1 acknowledges SGI 1");
});
