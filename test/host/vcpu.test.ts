import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DonateType,
  HypError,
  MapFlags,
  MmioAction,
  VcpuRunState,
} from "../../src/hyp/abi/index.js";
import { ExitType, VmStatus } from "../../src/rm/protocol/index.js";
import { EventFd } from "../../src/host/eventfd.js";
import { FaultKind } from "../../src/host/fault-ring.js";
import {
  ResumeAction,
  RunMmio,
  RunPageFault,
  RUN_UNION_OFFSET,
  VmExitStatus,
} from "../../src/host/run-structure.js";
import type { Vcpu } from "../../src/host/functions/vcpu.js";
import {
  Caps,
  configuredVm,
  GUEST_BASE,
  RAM_BASE,
  testHost,
  tick,
  VCPU_VIRQ,
  type TestHost,
} from "./setup.js";
import type { RunAnswer } from "./fake-hyp.js";

const S = VcpuRunState;
const mmioWrite = (addr: number, len: number, value: bigint): RunAnswer => ({
  state: S.ADDRSPACE_VMMIO_WRITE,
  data: [BigInt(addr), BigInt(len), value],
});
const mmioRead = (addr: number, len: number): RunAnswer => ({
  state: S.ADDRSPACE_VMMIO_READ,
  data: [BigInt(addr), BigInt(len)],
});
const pageFault = (gpa: number): RunAnswer => ({
  state: S.ADDRSPACE_PAGE_FAULT,
  data: [BigInt(gpa)],
});

async function running(options: Parameters<typeof testHost>[0] = {}, shareAt?: number) {
  const host = testHost(options);
  const { vm, mem } = configuredVm(host);
  let shared;
  if (shareAt !== undefined) {
    const m = host.device.createGuestMem({ size: 0x4000 });
    if (!m.ok) throw m.error;
    shared = m.value;
    const r = vm.mapMem({
      guestAddr: shareAt,
      flags: 0x2 | 0x30,
      guestMem: shared,
      offset: 0,
      size: 0x4000,
    });
    if (!r.ok) throw r.error;
  }
  const v = vm.addFunction({ type: "vcpu", id: 0 });
  if (!v.ok) throw v.error;
  const started = await vm.start();
  if (!started.ok) throw started.error;
  return { host, vm, mem, vcpu: v.value, shared };
}

function script(host: TestHost, ...answers: RunAnswer[]): void {
  host.native.hyp.runScripts.set(Caps.vcpu(0), answers);
}

function resumeAction(vcpu: Vcpu, action: number): void {
  new Uint8Array(vcpu.runStructure)[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] = action;
}

test("vcpu run: MMIO write and read exits, and the VMM's answer goes back as resume words", async () => {
  const { host, vm, vcpu } = await running();
  script(host, { state: S.READY }, mmioWrite(0x0900_0000, 4, 0x41n));
  const w = await vcpu.run();
  assert.ok(w.ok);
  assert.deepEqual(w.value, {
    reason: "mmio",
    physAddr: 0x0900_0000n,
    len: 4,
    isWrite: true,
    data: 0x41n,
  });
  assert.deepEqual(vcpu.exit, w.value);

  script(host, mmioRead(0x0900_0018, 2));
  const rd = await vcpu.run();
  assert.ok(rd.ok);
  assert.equal(rd.value.reason, "mmio");
  const resumes = host.native.hyp.resumes;
  assert.deepEqual(
    resumes.at(-1),
    [0n, BigInt(MmioAction.EMULATE), 0n],
    "a handled write resumes EMULATE",
  );

  const b = new Uint8Array(vcpu.runStructure);
  b.set([0x34, 0x12, 0xff], RUN_UNION_OFFSET + RunMmio.offsets.data);
  resumeAction(vcpu, ResumeAction.HANDLED);
  script(host, mmioWrite(0x0900_0000, 1, 0x42n));
  assert.ok((await vcpu.run()).ok);
  assert.deepEqual(
    resumes.at(-1),
    [0x1234n, BigInt(MmioAction.EMULATE), 0n],
    "read data, only len bytes",
  );

  resumeAction(vcpu, ResumeAction.FAULT);
  script(host, mmioWrite(0x0900_0000, 1, 0x43n));
  assert.ok((await vcpu.run()).ok);
  assert.deepEqual(resumes.at(-1), [0n, BigInt(MmioAction.FAULT), 0n]);

  resumeAction(vcpu, ResumeAction.RETRY);
  script(host, mmioWrite(0x0900_0000, 1, 0x44n));
  assert.ok((await vcpu.run()).ok);
  assert.deepEqual(resumes.at(-1), [0n, BigInt(MmioAction.RETRY), 0n]);

  resumeAction(vcpu, 9);
  const bad = await vcpu.run();
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, "EINVAL");
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: a write an ioeventfd matches signals it in the host without an exit", async () => {
  const { host, vm, vcpu } = await running();
  const efd = new EventFd();
  assert.ok(vm.addFunction({ type: "ioeventfd", eventfd: efd, addr: 0x0a00_0050n, len: 4 }).ok);
  const only7 = new EventFd();
  assert.ok(
    vm.addFunction({ type: "ioeventfd", eventfd: only7, addr: 0x0a00_0070n, len: 4, datamatch: 7n })
      .ok,
  );
  script(
    host,
    mmioWrite(0x0a00_0050, 4, 1n),
    mmioWrite(0x0a00_0070, 4, 7n),
    mmioWrite(0x0a00_0050, 2, 1n), // other width: not matched
  );
  const r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "mmio",
    physAddr: 0x0a00_0050n,
    len: 2,
    isWrite: true,
    data: 1n,
  });
  assert.equal(efd.value, 1n);
  assert.equal(only7.value, 1n);
  script(host, mmioWrite(0x0a00_0070, 4, 8n));
  const r2 = await vcpu.run();
  assert.ok(r2.ok && r2.value.reason === "mmio", "datamatch mismatch goes to the VMM");
  assert.equal(only7.value, 1n);
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: demand paging lends a page (TO_PROTECTED, RWX) and the host loses access", async () => {
  const { host, vm, vcpu, mem } = await running();
  const hyp = host.native.hyp;
  assert.ok(mem.read(0x5000, 4).ok);
  script(host, pageFault(GUEST_BASE + 0x5123), mmioWrite(0x0900_0000, 1, 0n));
  assert.ok((await vcpu.run()).ok);
  const donate = hyp.named("MEMEXTENT_DONATE").at(-1);
  const pa = mem.physBase + 0x5000;
  assert.deepEqual(donate?.args, [
    BigInt(DonateType.TO_PROTECTED),
    Caps.hostPrivate,
    Caps.guestPrivate,
    BigInt(pa - RAM_BASE),
    4096n,
    0n,
  ]);
  const map = hyp.named("ADDRSPACE_MAP").at(-1);
  assert.deepEqual(map?.args, [
    Caps.addrspace,
    Caps.guestPrivate,
    BigInt(GUEST_BASE + 0x5000),
    7n | (7n << 4n) | (0xffn << 16n),
    BigInt(MapFlags.PARTIAL | MapFlags.PRIVATE),
    BigInt(pa - RAM_BASE),
    4096n,
  ]);
  const denied = mem.read(0x5000, 4);
  assert.ok(!denied.ok);
  assert.equal(denied.error.code, "EFAULT");
  assert.ok(mem.read(0x6000, 4).ok, "other pages stay the host's");

  vcpu.close();
  vm.close();
  await vm.released;
  // Reclaim: unmap, then FROM_PROTECTED back to the host; the page is readable again.
  const unmap = hyp.named("ADDRSPACE_UNMAP").at(-1);
  assert.equal(unmap?.args[2], BigInt(GUEST_BASE + 0x5000));
  const back = hyp.named("MEMEXTENT_DONATE").at(-1);
  assert.deepEqual(back?.args.slice(0, 3), [
    BigInt(DonateType.FROM_PROTECTED),
    Caps.guestPrivate,
    Caps.hostPrivate,
  ]);
  assert.ok(mem.read(0x5000, 4).ok);
});

test("vcpu run: shared pages go TO_SIBLING, mapped RW without PRIVATE, and stay host-readable", async () => {
  const SHARED = 0x5000_0000;
  const { host, vm, vcpu, shared } = await running({}, SHARED);
  script(host, pageFault(SHARED + 0x1000), mmioWrite(0x0900_0000, 1, 0n));
  assert.ok((await vcpu.run()).ok);
  const hyp = host.native.hyp;
  const donate = hyp.named("MEMEXTENT_DONATE").at(-1);
  assert.deepEqual(donate?.args.slice(0, 3), [
    BigInt(DonateType.TO_SIBLING),
    Caps.hostShared,
    Caps.guestShared,
  ]);
  const map = hyp.named("ADDRSPACE_MAP").at(-1);
  assert.equal(map?.args[3], 6n | (6n << 4n) | (0xffn << 16n));
  assert.equal(map?.args[4], BigInt(MapFlags.PARTIAL));
  assert.ok(shared?.read(0x1000, 4).ok);
  // The shared binding is not a demand-paging (lend) range.
  const paging = host.rm.requests.find((m) => m.msgId === 0x5600_0033);
  assert.equal(
    new DataView(paging!.payload.buffer, paging!.payload.byteOffset).getUint32(4, true),
    1,
  );
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: unresolvable page faults exit with PAGE_FAULT and the errno", async () => {
  const { host, vm, vcpu } = await running();
  script(host, pageFault(0x7000_0000));
  const r = await vcpu.run();
  assert.ok(r.ok);
  assert.deepEqual(r.value, { reason: "page-fault", physAddr: 0x7000_0000n, attempt: -2 });
  assert.equal(
    new Uint8Array(vcpu.runStructure)[RUN_UNION_OFFSET + RunPageFault.offsets.resume_action],
    ResumeAction.FAULT,
  );

  host.native.hyp.failures.set("ADDRSPACE_MAP", HypError.NOMEM);
  script(host, pageFault(GUEST_BASE + 0x8000));
  const r2 = await vcpu.run();
  assert.ok(r2.ok);
  assert.deepEqual(r2.value, {
    reason: "page-fault",
    physAddr: BigInt(GUEST_BASE + 0x8000),
    attempt: -12,
  });
  const back = host.native.hyp.named("MEMEXTENT_DONATE").at(-1);
  assert.equal(
    back?.args[0],
    BigInt(DonateType.FROM_PROTECTED),
    "a failed map gives the page back",
  );
  host.native.hyp.failures.delete("ADDRSPACE_MAP");

  // The same page faulting again and again (already provided) is reported, not looped on.
  script(host, ...Array.from({ length: 40 }, () => pageFault(GUEST_BASE + 0x9000)));
  const r3 = await vcpu.run();
  assert.ok(r3.ok);
  assert.deepEqual(r3.value, {
    reason: "page-fault",
    physAddr: BigInt(GUEST_BASE + 0x9000),
    attempt: -14,
  });
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: EXPECTS_WAKEUP waits for the wakeup VIRQ", async () => {
  const { host, vm, vcpu } = await running({ wakeupTimeoutMs: 10_000 });
  assert.equal(host.native.virqs.bound(VCPU_VIRQ), 1, "the vCPU's resource VIRQ is bound");
  script(host, { state: S.EXPECTS_WAKEUP }, mmioWrite(0x0900_0000, 1, 0n));
  const before = host.native.hyp.named("VCPU_RUN").length;
  const running_ = vcpu.run();
  await tick(20);
  assert.equal(host.native.hyp.named("VCPU_RUN").length, before + 1, "no busy loop while asleep");
  host.native.virqs.fire(VCPU_VIRQ);
  const r = await running_;
  assert.ok(r.ok && r.value.reason === "mmio");
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: POWERED_OFF after the VM exited is a STATUS exit with the raw exit info", async () => {
  const { host, vm, vcpu } = await running({ wakeupTimeoutMs: 10_000 });
  script(host, { state: S.POWERED_OFF, data: [1n] });
  const pending = vcpu.run();
  await tick(5);
  host.rm.notifyExited(
    vm.vmid!,
    ExitType.PSCI_POWER_OFF,
    new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  );
  const r = await pending;
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    reason: "status",
    status: VmExitStatus.EXITED,
    exitType: ExitType.PSCI_POWER_OFF,
    reasonSize: 10,
    exitReason: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
  });
  const calls = host.native.hyp.named("VCPU_RUN").length;
  const again = await vcpu.run();
  assert.ok(again.ok && again.value.reason === "status");
  assert.equal(host.native.hyp.named("VCPU_RUN").length, calls, "a downed system is not run again");
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: FAULT reports to the fault ring and ends with STATUS CRASHED", async () => {
  const { host, vm, vcpu } = await running();
  script(host, { state: 0x77 }, { state: S.FAULT, data: [0xdeadn, 1n, 2n] });
  const r = await vcpu.run();
  assert.ok(r.ok);
  assert.equal(r.value.reason, "status");
  assert.equal(r.value.reason === "status" && r.value.status, VmExitStatus.CRASHED);
  const reports = vm.faultReports().drain();
  assert.deepEqual(
    reports.map((x) => [x.kind, x.address]),
    [
      [FaultKind.UNKNOWN_VCPU_STATE, 0x77n],
      [FaultKind.VCPU_FAULT, 0xdeadn],
    ],
  );
  vcpu.close();
  vm.close();
  await vm.released;
});

test("vcpu run: immediate_exit, hypervisor errors, RETRY, and handles that cannot run", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  const v = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(v.ok);
  const early = await v.value.run();
  assert.ok(!early.ok);
  assert.equal(early.error.code, "ENODEV", "no resource before start");
  assert.ok((await vm.start()).ok);
  assert.equal(vm.status, VmStatus.RUNNING);
  const vcpu = v.value;

  vcpu.immediateExit = true;
  const calls = host.native.hyp.named("VCPU_RUN").length;
  const intr = await vcpu.run();
  assert.ok(!intr.ok);
  assert.equal(intr.error.code, "EINTR");
  assert.equal(host.native.hyp.named("VCPU_RUN").length, calls);
  vcpu.immediateExit = false;

  script(host, { error: HypError.RETRY }, { error: HypError.DENIED });
  const denied = await vcpu.run();
  assert.ok(!denied.ok);
  assert.equal(denied.error.code, "EACCES");
  assert.equal(host.native.hyp.named("VCPU_RUN").length, calls + 2);

  host.device.injectHypercallFaults((name) => (name === "VCPU_RUN" ? HypError.BUSY : undefined));
  const busy = await vcpu.run();
  assert.ok(!busy.ok);
  assert.equal(busy.error.code, "EBUSY");
  host.device.injectHypercallFaults(undefined);

  assert.ok(vm.removeFunction({ type: "vcpu", id: 0 }).ok);
  const removed = await vcpu.run();
  assert.ok(!removed.ok);
  assert.equal(removed.error.code, "ENODEV");
  vcpu.close();
  const closed = await vcpu.run();
  assert.ok(!closed.ok);
  assert.equal(closed.error.code, "EBADF");
  vm.close();
  await vm.released;
});

test("vcpu run: closing every handle during a run defers teardown until run() returns", async () => {
  const { host, vm, vcpu } = await running({ wakeupTimeoutMs: 10_000 });
  script(host, { state: S.EXPECTS_WAKEUP }, mmioWrite(0x0900_0000, 1, 0n));
  const pending = vcpu.run();
  await tick(5);
  vcpu.close();
  vm.close();
  await tick(10);
  assert.ok(!host.rm.log.includes("VM_STOP"), "teardown waits for the run in progress");
  host.native.virqs.fire(VCPU_VIRQ);
  const r = await pending;
  assert.ok(r.ok && r.value.reason === "mmio");
  await vm.released;
  assert.ok(host.rm.log.includes("VM_DEALLOC_VMID"));
});

test("vcpu run: a run issued while start is in progress waits for it", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  const v = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(v.ok);
  script(host, mmioWrite(0x0900_0000, 1, 0x21n));
  const starting = vm.start();
  const r = await v.value.run();
  assert.ok((await starting).ok);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.equal(r.value.reason, "mmio");
  v.value.close();
  vm.close();
  await vm.released;
});
