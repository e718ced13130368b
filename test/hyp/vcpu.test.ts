import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HypError,
  VcpuRunState,
  MmioAction,
  POWERED_OFF_EXITED,
  VcpuVirqType,
  hypercallId,
} from "../../src/hyp/abi/index.js";
import { abort, fakeFactory, type FakeCpu } from "./fake-cpu.js";
import { buildGuest, GUEST_RAM_IPA, run } from "./guest.js";
import { Call, boot, expectError, ok, turns } from "./helpers.js";
import { RUN_SLICE } from "../../src/hyp/vcpu-run.js";

function setup(vcpus = 1) {
  const f = fakeFactory();
  const { hyp, rm } = boot({ cpuFactory: f.factory });
  const g = buildGuest(rm, { vcpus });
  return { hyp, rm, g, cpus: f.cpus };
}

const hvcStep =
  (fid: number, ...args: bigint[]) =>
  (c: FakeCpu) => {
    c.x[0] = BigInt(fid);
    args.forEach((a, i) => (c.x[i + 1] = a));
    return { kind: "hvc", imm: 0 } as const;
  };

test("a powered-off vCPU reports POWERED_OFF; poweron resets it at the entry with X0 = context", () => {
  const { rm, g, cpus } = setup();
  const [e, st] = run(rm, g.vcpus[0]!);
  assert.equal(e, 0n);
  assert.equal(st, BigInt(VcpuRunState.POWERED_OFF));
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0x1234n, 0n);
  expectError(rm.hvc, HypError.BUSY, Call.VCPU_POWERON, g.vcpus[0]!, 0n, 0n, 0n);
  assert.equal(cpus[0]!.pc, GUEST_RAM_IPA);
  assert.equal(cpus[0]!.x[0], 0x1234n);
  const [, st2] = run(rm, g.vcpus[0]!);
  assert.equal(st2, BigInt(VcpuRunState.READY));
});

test("VMMIO read and write exits carry IPA, size and value; resume completes or faults", () => {
  const { rm, g, cpus } = setup();
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, 0x900_0000n, 0x1000n, 0n);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const cpu = cpus[0]!;
  cpu.script.push(() => ({ kind: "stage2-abort", abort: abort(0x900_0018, false) }));
  cpu.script.push(() => ({ kind: "stage2-abort", abort: abort(0x900_0000, true, 0x41n, 1) }));
  let r = run(rm, g.vcpus[0]!);
  assert.deepEqual(r, [0n, BigInt(VcpuRunState.ADDRSPACE_VMMIO_READ), 0x900_0018n, 4n, 0n]);
  // Run check re-reports the pending exit without running.
  const chk = rm.hvc.hvc(hypercallId(Call.VCPU_RUN_CHECK), [g.vcpus[0]!, 0n]);
  assert.equal(chk[1], BigInt(VcpuRunState.ADDRSPACE_VMMIO_READ));
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_RUN, g.vcpus[0]!, 0n, 7n, 0n);
  r = run(rm, g.vcpus[0]!, 0x1_0000_0099n, BigInt(MmioAction.EMULATE));
  assert.deepEqual(r, [0n, BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE), 0x900_0000n, 1n, 0x41n]);
  assert.deepEqual(cpu.log.slice(-1), ["mmio-read 153"]); // masked to 4 bytes
  r = run(rm, g.vcpus[0]!, 0n, BigInt(MmioAction.FAULT));
  assert.equal(r[1], BigInt(VcpuRunState.READY));
  assert.deepEqual(cpu.log.slice(-1), ["abort 9000000"]);
});

test("an unmapped non-VMMIO IPA is ADDRSPACE_PAGE_FAULT; a mapped page's permission fault is injected", () => {
  const { rm, g, cpus } = setup();
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  cpus[0]!.script.push(() => ({ kind: "stage2-abort", abort: abort(0x5000_0000, true) }));
  const r = run(rm, g.vcpus[0]!);
  assert.deepEqual(r.slice(0, 4), [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_PAGE_FAULT),
    0x5000_0000n,
    1n,
  ]);
  cpus[0]!.script.push(() => ({ kind: "stage2-abort", abort: abort(GUEST_RAM_IPA + 8, true) }));
  assert.equal(run(rm, g.vcpus[0]!, 0n, BigInt(MmioAction.RETRY))[1], BigInt(VcpuRunState.READY));
  assert.ok(cpus[0]!.log.includes(`abort ${(GUEST_RAM_IPA + 8).toString(16)}`));
});

test("WFI with nothing pending is EXPECTS_WAKEUP; the timer deadline wakes it (virtual time jumps)", async () => {
  const { hyp, rm, g, cpus } = setup();
  ok(
    rm.hvc,
    Call.VCPU_BIND_VIRQ,
    g.vcpus[0]!,
    rm.caps.vic,
    50n,
    BigInt(VcpuVirqType.VCPU_RUN_WAKEUP),
  );
  let woke = 0;
  rm.virqs.onVirq(50, () => woke++);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  await turns();
  assert.equal(woke, 1, "power-on raises the run-wakeup VIRQ");
  woke = 0;
  const cpu = cpus[0]!;
  cpu.deadline = 5_000_000n;
  cpu.script.push(() => ({ kind: "wfi" }));
  const r = run(rm, g.vcpus[0]!);
  assert.deepEqual(r.slice(0, 3), [0n, BigInt(VcpuRunState.EXPECTS_WAKEUP), 0n]);
  assert.ok(hyp.clock.now() < 5_000_000n);
  await turns(4);
  assert.equal(woke, 1);
  assert.equal(hyp.clock.now(), 5_000_000n);
  cpu.timer = 1; // the fake timer fires at the deadline
  assert.equal(run(rm, g.vcpus[0]!)[1], BigInt(VcpuRunState.READY));
});

test("guest HVC goes through the dispatcher: identify, and caps resolve in the guest's cspace", () => {
  const { rm, g, cpus } = setup();
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const cpu = cpus[0]!;
  cpu.script.push(hvcStep(0xc600_8000));
  cpu.script.push((c) => {
    assert.equal(c.getX(0) >> 56n, 0x48n);
    return hvcStep(0xc600_8000 | Call.OBJECT_ACTIVATE, rm.caps.partition, 0n)(c);
  });
  run(rm, g.vcpus[0]!);
  // The RM's partition cap means nothing in the guest's (empty) cspace.
  const code: number = Number(cpu.getX(0));
  assert.ok(code === HypError.CSPACE_CAP_NULL || code === HypError.ARGUMENT_INVALID);
});

test("PSCI: VERSION, CPU_ON of a sibling, AFFINITY_INFO, SYSTEM_OFF reports exited", () => {
  const { rm, g, cpus } = setup(2);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const [c0, c1] = [cpus[0]!, cpus[1]!];
  const results: bigint[] = [];
  const record = (c: FakeCpu) => results.push(c.getX(0));
  c0.script.push(hvcStep(0x8400_0000));
  c0.script.push((c) => (record(c), hvcStep(0xc400_0004, 1n, 0n)(c)));
  c0.script.push((c) => (record(c), hvcStep(0xc400_0003, 1n, 0x4000_1000n, 77n)(c)));
  c0.script.push((c) => (record(c), hvcStep(0xc400_0003, 1n, 0x4000_1000n, 77n)(c)));
  c0.script.push((c) => (record(c), hvcStep(0xc400_0004, 1n, 0n)(c)));
  c0.script.push((c) => (record(c), hvcStep(0xc400_0003, 9n, 0x4000_1000n, 0n)(c)));
  c0.script.push((c) => (record(c), hvcStep(0x8400_0008)(c)));
  const r = run(rm, g.vcpus[0]!);
  const s = (n: number) => BigInt.asUintN(64, BigInt(n));
  assert.deepEqual(results, [0x10001n, 1n, 0n, s(-4), 0n, s(-2)]);
  assert.equal(c1.pc, 0x4000_1000);
  assert.equal(c1.x[0], 77n);
  assert.deepEqual(r.slice(0, 3), [0n, BigInt(VcpuRunState.POWERED_OFF), POWERED_OFF_EXITED]);
  assert.deepEqual(run(rm, g.vcpus[1]!).slice(1, 3), [
    BigInt(VcpuRunState.POWERED_OFF),
    POWERED_OFF_EXITED,
  ]);
});

test("PSCI SYSTEM_RESET gives PSCI_SYSTEM_RESET; the halt VIRQ fires", async () => {
  const { rm, g, cpus } = setup();
  ok(rm.hvc, Call.VCPU_BIND_VIRQ, g.vcpus[0]!, rm.caps.vic, 51n, BigInt(VcpuVirqType.HALT));
  let halts = 0;
  rm.virqs.onVirq(51, () => halts++);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  cpus[0]!.script.push(hvcStep(0x8400_0009));
  const r = run(rm, g.vcpus[0]!);
  assert.deepEqual(r.slice(0, 3), [0n, BigInt(VcpuRunState.PSCI_SYSTEM_RESET), 1n << 63n]);
  await turns();
  assert.equal(halts, 1);
});

test("vcpu_register_write only while off; kill reports POWERED_OFF exited", () => {
  const { rm, g, cpus } = setup();
  ok(rm.hvc, Call.VCPU_REGISTER_WRITE, g.vcpus[0]!, 0n, 5n, 0x55n);
  ok(rm.hvc, Call.VCPU_REGISTER_WRITE, g.vcpus[0]!, 1n, 0n, BigInt(GUEST_RAM_IPA + 0x40));
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.VCPU_REGISTER_WRITE,
    g.vcpus[0]!,
    0n,
    31n,
    0n,
  );
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_REGISTER_WRITE, g.vcpus[0]!, 3n, 0n, 0n);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 9n, 1n); // preserve entry point
  assert.equal(cpus[0]!.pc, GUEST_RAM_IPA + 0x40);
  assert.equal(cpus[0]!.x[5], 0x55n);
  assert.equal(cpus[0]!.x[0], 9n);
  expectError(rm.hvc, HypError.BUSY, Call.VCPU_REGISTER_WRITE, g.vcpus[0]!, 0n, 1n, 0n);
  ok(rm.hvc, Call.VCPU_KILL, g.vcpus[0]!);
  assert.deepEqual(run(rm, g.vcpus[0]!).slice(1, 3), [
    BigInt(VcpuRunState.POWERED_OFF),
    POWERED_OFF_EXITED,
  ]);
});

test("threads: configure only in INIT; activation needs an address space; attach needs INIT", () => {
  const f = fakeFactory();
  const { rm } = boot({ cpuFactory: f.factory });
  const g = buildGuest(rm);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VCPU_CONFIGURE, g.vcpus[0]!, 0n);
  expectError(
    rm.hvc,
    HypError.OBJECT_STATE,
    Call.ADDRSPACE_ATTACH_THREAD,
    g.addrspace,
    g.vcpus[0]!,
  );
  const t = ok(rm.hvc, Call.PARTITION_CREATE_THREAD, rm.caps.partition, rm.caps.cspace);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_CONFIGURE, t, 1n << 20n);
  expectError(rm.hvc, HypError.OBJECT_CONFIG, Call.OBJECT_ACTIVATE, t);
  // A vCPU that is not proxy-scheduled cannot be run by vcpu_run.
  const t2 = ok(rm.hvc, Call.PARTITION_CREATE_THREAD, rm.caps.partition, rm.caps.cspace);
  ok(rm.hvc, Call.ADDRSPACE_ATTACH_THREAD, g.addrspace, t2);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, t2);
  expectError(rm.hvc, HypError.BUSY, Call.VCPU_RUN, t2, 0n, 0n, 0n);
  // Binding its run-wakeup VIRQ makes it proxy-scheduled (Gunyah's vcpu_run module).
  ok(rm.hvc, Call.VCPU_BIND_VIRQ, t2, rm.caps.vic, 77n, 1n);
  const [e, st] = run(rm, t2);
  assert.deepEqual([e, st], [0n, BigInt(VcpuRunState.POWERED_OFF)]);
  ok(rm.hvc, Call.VCPU_RUN_CHECK, g.vcpus[0]!); // powered off: a state
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  expectError(rm.hvc, HypError.BUSY, Call.VCPU_RUN_CHECK, g.vcpus[0]!); // runnable: BUSY
});

test("EXPECTS_WAKEUP data: WFI (0, WFI) and CPU_SUSPEND (power_state, CPU_SUSPEND); RESET2 data", () => {
  const { rm, g, cpus } = setup();
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const cpu = cpus[0]!;
  cpu.script.push(() => ({ kind: "wfi" }));
  assert.deepEqual(run(rm, g.vcpus[0]!).slice(1), [
    BigInt(VcpuRunState.EXPECTS_WAKEUP),
    0n,
    1n,
    0n,
  ]);
  cpu.timer = 1; // wake it
  cpu.script.push(hvcStep(0xc400_0001, 0x1_0000n, 0x4000_0000n, 0n));
  assert.deepEqual(run(rm, g.vcpus[0]!).slice(1), [BigInt(VcpuRunState.READY), 0n, 0n, 0n]);
  cpu.timer = 0;
  cpu.script.push(hvcStep(0xc400_0001, 0x1_0000n, 0x4000_0000n, 0n));
  assert.deepEqual(run(rm, g.vcpus[0]!).slice(1), [
    BigInt(VcpuRunState.EXPECTS_WAKEUP),
    0x1_0000n,
    2n,
    0n,
  ]);
  cpu.timer = 1;
  cpu.script.push(hvcStep(0xc400_0012, 0n, 0x55n));
  assert.deepEqual(run(rm, g.vcpus[0]!).slice(1), [
    BigInt(VcpuRunState.PSCI_SYSTEM_RESET),
    1n << 62n,
    0x55n,
    0n,
  ]);
});

test("WFE ends the slice (READY) when another vCPU of the VM could run, else it runs on", () => {
  const { rm, g, cpus } = setup(2);
  const [v0, v1] = [g.vcpus[0]!, g.vcpus[1]!];
  ok(rm.hvc, Call.VCPU_POWERON, v0, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const cpu = cpus[0]!;
  // vCPU 1 is off: nothing else can run, so the WFE is a NOP and the slice goes on.
  cpu.script.push(() => ({ kind: "wfe" }));
  let r = run(rm, v0);
  assert.equal(r[1], BigInt(VcpuRunState.READY));
  assert.equal(cpu.instructionsRetired, RUN_SLICE, "the whole slice ran");
  // vCPU 1 is on and could run: the slice ends right after the WFE.
  ok(rm.hvc, Call.VCPU_POWERON, v1, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const before = cpu.instructionsRetired;
  cpu.script.push(() => ({ kind: "wfe" }));
  cpu.script.push(() => ({ kind: "hvc", imm: 0 }));
  r = run(rm, v0);
  assert.equal(r[1], BigInt(VcpuRunState.READY));
  assert.equal(cpu.instructionsRetired - before, 1);
  assert.equal(cpu.script.length, 1, "the step after the WFE waits for the next vcpu_run");
});
