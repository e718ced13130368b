// vcpu_run with the real CPU running tiny hand-encoded guests.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MmioAction,
  POWERED_OFF_EXITED,
  VcpuFaultReason,
  VcpuRunState,
} from "../../src/hyp/abi/index.js";
import { A64, assemble, mov32 } from "./a64.js";
import { buildGuest, GUEST_RAM_IPA, mapIntoRoot, run } from "./guest.js";
import { Access, Call, boot, mappingAttrs, ok } from "./helpers.js";

const UART = 0x0900_0000;

/** A guest whose RAM the test can also write (the extent is mapped into the RM too). */
function guestWith(program: number[], opts: { vic?: boolean } = {}) {
  const { hyp, rm } = boot();
  const g = buildGuest(rm, opts);
  const pa = rm.caps.ramBase; // the guest extent is derived at offset 0
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    rm.caps.addrspace,
    g.extent,
    BigInt(pa),
    mappingAttrs(Access.RW),
    0n,
    0n,
    0n,
  );
  assert.ok(rm.memory.write(pa, assemble(program)).ok);
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, BigInt(UART), 0x1000n, 0n);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  return { hyp, rm, g, vcpu: g.vcpus[0]! };
}

test("MMIO read and write exits from real loads and stores; resume0 lands in the register", () => {
  const { rm, vcpu } = guestWith([
    ...mov32(0, UART),
    A64.ldrW(1, 0),
    A64.strW(1, 0, 4),
    A64.spin(),
  ]);
  let r = run(rm, vcpu);
  assert.deepEqual(r.slice(0, 4), [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_VMMIO_READ),
    BigInt(UART),
    4n,
  ]);
  r = run(rm, vcpu, 0xabcd_1234n, BigInt(MmioAction.EMULATE));
  assert.deepEqual(r, [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE),
    BigInt(UART + 4),
    4n,
    0xabcd_1234n,
  ]);
  r = run(rm, vcpu, 0n, BigInt(MmioAction.EMULATE));
  assert.equal(r[1], BigInt(VcpuRunState.READY), "the spin loop uses up the slice");
});

test("the guest's HVC hypervisor_identify returns the API info in X0", () => {
  const { rm, vcpu } = guestWith([
    ...mov32(0, 0xc600_8000),
    A64.hvc(0),
    ...mov32(3, UART),
    A64.strX(0, 3),
    A64.spin(),
  ]);
  const r = run(rm, vcpu);
  assert.equal(r[1], BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE));
  assert.equal(r[3], 8n);
  assert.equal(r[4]! >> 56n, 0x48n);
  assert.equal(r[4]! & 0x3fffn, 1n);
});

test("WFI with nothing pending is EXPECTS_WAKEUP; PSCI SYSTEM_OFF is POWERED_OFF with exited", () => {
  const { rm, vcpu } = guestWith([A64.wfi(), ...mov32(0, 0x8400_0008), A64.hvc(0), A64.spin()]);
  let r = run(rm, vcpu);
  assert.deepEqual(r.slice(0, 3), [0n, BigInt(VcpuRunState.EXPECTS_WAKEUP), 0n]);
  r = run(rm, vcpu);
  assert.equal(r[1], BigInt(VcpuRunState.EXPECTS_WAKEUP), "still nothing pending");
  // A vGIC-less vCPU wakes only for its timer; check the power-off path on a fresh guest.
  const g2 = guestWith([...mov32(0, 0x8400_0008), A64.hvc(0), A64.spin()]);
  r = run(g2.rm, g2.vcpu);
  assert.deepEqual(r.slice(0, 3), [0n, BigInt(VcpuRunState.POWERED_OFF), POWERED_OFF_EXITED]);
});

test("an access to an unmapped, non-VMMIO IPA is ADDRSPACE_PAGE_FAULT until the host maps it", () => {
  const { rm, g, vcpu } = guestWith([
    ...mov32(0, 0x4010_0000),
    A64.ldrW(1, 0),
    ...mov32(3, UART),
    A64.strW(1, 3),
    A64.spin(),
  ]);
  let r = run(rm, vcpu);
  assert.deepEqual(r.slice(0, 4), [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_PAGE_FAULT),
    0x4010_0000n,
    0n,
  ]);
  // Retry without fixing: the same fault again.
  r = run(rm, vcpu, 0n, BigInt(MmioAction.RETRY));
  assert.equal(r[1], BigInt(VcpuRunState.ADDRSPACE_PAGE_FAULT));
  // Map one more page of the extent there and retry: the load completes.
  const page = ok(rm.hvc, Call.PARTITION_CREATE_MEMEXTENT, rm.caps.partition, rm.caps.cspace);
  ok(rm.hvc, Call.MEMEXTENT_CONFIGURE_DERIVE, page, rm.caps.memextent, 0x20_0000n, 0x1000n, 7n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, page);
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    rm.caps.addrspace,
    page,
    BigInt(rm.caps.ramBase + 0x20_0000),
    mappingAttrs(Access.RW),
    0n,
    0n,
    0n,
  );
  rm.memory.write(rm.caps.ramBase + 0x20_0000, new Uint8Array([0x78, 0x56, 0x34, 0x12]));
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    g.addrspace,
    page,
    0x4010_0000n,
    mappingAttrs(Access.RW),
    0n,
    0n,
    0n,
  );
  r = run(rm, vcpu, 0n, BigInt(MmioAction.RETRY));
  assert.deepEqual(r, [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE),
    BigInt(UART),
    4n,
    0x1234_5678n,
  ]);
});

test("the guest reads the vGIC distributor without an exit", () => {
  const { rm, vcpu } = guestWith(
    [...mov32(0, 0x0800_ffe8), A64.ldrW(1, 0), ...mov32(3, UART), A64.strW(1, 3), A64.spin()],
    { vic: true },
  );
  const r = run(rm, vcpu);
  assert.equal(r[1], BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE));
  assert.equal(r[4]! & 0xf0n, 0x30n);
});

test("the virtual timer interrupt reaches the guest through the vGIC (IAR1 = 27)", async () => {
  const STR = (value: number, addr: number, rv = 1, ra = 2) => [
    ...mov32(rv, value),
    ...mov32(ra, addr),
    A64.strW(rv, ra),
  ];
  const code = [
    ...mov32(0, GUEST_RAM_IPA + 0x800),
    A64.msr(0, 12, 0, 0, 0), // VBAR_EL1
    ...STR(0x12, 0x0800_0000), // GICD_CTLR: ARE | EnableGrp1
    ...STR(0, 0x080a_0014), // GICR_WAKER: wake
    ...STR(1 << 27, 0x080b_0080), // IGROUPR0: PPI 27 in group 1
    ...STR(1 << 27, 0x080b_0100), // ISENABLER0: PPI 27
    ...mov32(0, 0xf0),
    A64.msr(0, 4, 6, 0, 0), // ICC_PMR_EL1
    ...mov32(0, 1),
    A64.msr(0, 12, 12, 7, 0), // ICC_IGRPEN1_EL1
    ...mov32(0, 1000),
    A64.msr(3, 14, 3, 0, 0), // CNTV_TVAL_EL0
    ...mov32(0, 1),
    A64.msr(3, 14, 3, 1, 0), // CNTV_CTL_EL0: enable
    A64.daifClr(2), // unmask IRQ
    A64.wfi(),
    A64.back(1),
  ];
  const program = new Array<number>(0x300).fill(A64.nop());
  code.forEach((w, i) => (program[i] = w));
  // IRQ from the current EL with SP_ELx: VBAR + 0x280.
  const handler = [A64.mrs(1, 0, 12, 12, 0), ...mov32(3, UART), A64.strW(1, 3), A64.spin()];
  handler.forEach((w, i) => (program[(0x800 + 0x280) / 4 + i] = w));
  const { hyp, rm, vcpu } = guestWith(program, { vic: true });
  let r = run(rm, vcpu);
  assert.equal(r[1], BigInt(VcpuRunState.EXPECTS_WAKEUP), "waits for the timer");
  await new Promise((resolve) => setImmediate(resolve));
  hyp.clock.jumpIfIdle();
  r = run(rm, vcpu);
  assert.deepEqual(r.slice(0, 4), [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE),
    BigInt(UART),
    4n,
  ]);
  assert.equal(r[4], 27n);
});

test("SMP: PSCI CPU_ON starts vCPU 1 at its entry with X0 = context; an SGI from vCPU 0 reaches it", () => {
  const STR = (value: number, addr: number) => [
    ...mov32(1, value),
    ...mov32(2, addr),
    A64.strW(1, 2),
  ];
  const SECOND = 0x400; // byte offset of vCPU 1's entry
  const boot0 = [
    ...STR(0x12, 0x0800_0000), // GICD_CTLR: ARE | EnableGrp1
    ...mov32(0, 0xc400_0003), // CPU_ON (SMC64)
    ...mov32(1, 1), // target MPIDR Aff0 = 1
    ...mov32(2, GUEST_RAM_IPA + SECOND),
    ...mov32(3, 0x5a5a),
    A64.hvc(0),
    ...mov32(1, (1 << 24) | 0b10), // SGI 1 to Aff0 = 1
    A64.msr(0, 12, 11, 5, 1), // ICC_SGI1R_EL1
    A64.spin(),
  ];
  const second = [
    ...mov32(4, UART),
    A64.strX(0, 4), // report the context id
    ...mov32(5, GUEST_RAM_IPA + 0x800),
    A64.msr(0, 12, 0, 0, 5), // VBAR_EL1
    ...STR(0, 0x080a_0000 + 0x2_0000 + 0x14), // GICR_WAKER of frame 1
    ...STR(1 << 1, 0x080a_0000 + 0x2_0000 + 0x1_0080), // IGROUPR0: SGI 1 group 1
    ...STR(1 << 1, 0x080a_0000 + 0x2_0000 + 0x1_0100), // ISENABLER0: SGI 1
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

  const { hyp, rm } = boot();
  const g = buildGuest(rm, { vcpus: 2, vic: true });
  const pa = mapIntoRoot(rm, g);
  assert.ok(rm.memory.write(pa, assemble(program)).ok);
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, BigInt(UART), 0x1000n, 0n);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  assert.equal(run(rm, g.vcpus[1]!)[1], BigInt(VcpuRunState.POWERED_OFF));
  assert.equal(run(rm, g.vcpus[0]!)[1], BigInt(VcpuRunState.READY));
  let r = run(rm, g.vcpus[1]!);
  assert.deepEqual(r, [0n, BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE), BigInt(UART), 8n, 0x5a5an]);
  r = run(rm, g.vcpus[1]!, 0n, BigInt(MmioAction.EMULATE));
  assert.deepEqual(r.slice(1), [BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE), BigInt(UART), 4n, 1n]);
  assert.ok(hyp.stats().objects.thread >= 2);
});

test("a doorbell bound to the guest's vic wakes a WFI-waiting vCPU: SPI 40 through the vGIC", async () => {
  const STR = (value: number, addr: number) => [
    ...mov32(1, value),
    ...mov32(2, addr),
    A64.strW(1, 2),
  ];
  const code = [
    ...mov32(0, GUEST_RAM_IPA + 0x800),
    A64.msr(0, 12, 0, 0, 0), // VBAR_EL1
    ...STR(0x12, 0x0800_0000), // GICD_CTLR: ARE | EnableGrp1
    ...STR(1 << 8, 0x0800_0084), // IGROUPR1: INTID 40 in group 1
    ...STR(0, 0x0800_6000 + 8 * 40), // IROUTER40: Aff0 = 0
    ...STR(1 << 8, 0x0800_0104), // ISENABLER1: INTID 40
    ...STR(0, 0x080a_0014), // GICR_WAKER
    ...mov32(0, 0xf0),
    A64.msr(0, 4, 6, 0, 0), // ICC_PMR_EL1
    ...mov32(0, 1),
    A64.msr(0, 12, 12, 7, 0), // ICC_IGRPEN1_EL1
    A64.daifClr(2),
    A64.wfi(),
    A64.back(1),
  ];
  const program = new Array<number>(0x300).fill(A64.nop());
  code.forEach((w, i) => (program[i] = w));
  const handler = [A64.mrs(1, 0, 12, 12, 0), ...mov32(3, UART), A64.strW(1, 3), A64.spin()];
  handler.forEach((w, i) => (program[(0x800 + 0x280) / 4 + i] = w));
  const { rm, g, vcpu } = guestWith(program, { vic: true });
  const db = ok(rm.hvc, Call.PARTITION_CREATE_DOORBELL, rm.caps.partition, rm.caps.cspace);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, db);
  ok(rm.hvc, Call.DOORBELL_BIND_VIRQ, db, g.vic!, 40n);
  ok(rm.hvc, Call.VCPU_BIND_VIRQ, vcpu, rm.caps.vic, 99n, 1n); // run-wakeup to the RM
  let wakeups = 0;
  rm.virqs.onVirq(99, () => wakeups++);
  await new Promise((resolve) => setImmediate(resolve));
  wakeups = 0; // the power-on wakeup
  let r = run(rm, vcpu);
  assert.equal(r[1], BigInt(VcpuRunState.EXPECTS_WAKEUP));
  ok(rm.hvc, Call.DOORBELL_MASK, db, 1n, 1n); // Linux's level irqfd
  ok(rm.hvc, Call.DOORBELL_SEND, db, 1n);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(wakeups, 1, "the pending SPI raised the vCPU's run-wakeup VIRQ");
  r = run(rm, vcpu);
  assert.deepEqual(r, [0n, BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE), BigInt(UART), 4n, 40n]);
});

test("an undefined instruction with no exception vector is a FAULT naming the vector, not an endless loop", () => {
  // UDF #0 at EL1 with VBAR_EL1 = 0: the exception vector (IPA 0x200) is VMMIO, so its
  // fetch aborts; the injected abort's own vector fetch aborts again without retiring.
  const { rm, g, vcpu } = guestWith([0x0000_0000]);
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, 0n, 0x1000n, 0n);
  const r = run(rm, vcpu);
  assert.deepEqual(r, [
    0n,
    BigInt(VcpuRunState.FAULT),
    0x200n,
    0x200n,
    BigInt(VcpuFaultReason.NESTED_ABORT),
  ]);
  assert.deepEqual(run(rm, vcpu), r, "the vCPU stays faulted");
});
