// Success and error paths of the hypercalls not covered by the object-family tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HypError,
  VcpuRunState,
  VcpuVirqType,
  VpmState,
  hypercallId,
} from "../../src/hyp/abi/index.js";
import { fakeFactory } from "./fake-cpu.js";
import { buildGuest, GUEST_RAM_IPA } from "./guest.js";
import {
  Call,
  RAM_BASE,
  boot,
  call,
  create,
  deriveExtent,
  expectError,
  ok,
  turns,
} from "./helpers.js";

test("prng_get_entropy: 1..16 bytes, unrequested bytes zero; res0 enforced", () => {
  const { rm } = boot();
  const r = rm.hvc.hvc(hypercallId(Call.PRNG_GET_ENTROPY), [16n, 0n]);
  assert.equal(r[0], 0n);
  const [, a, b, c2] = [...rm.hvc.hvc(hypercallId(Call.PRNG_GET_ENTROPY), [2n, 0n])];
  assert.equal(a! >> 16n, 0n);
  assert.deepEqual([b, c2], [0n, 0n]);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.PRNG_GET_ENTROPY, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.PRNG_GET_ENTROPY, 17n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.PRNG_GET_ENTROPY, 4n, 1n);
});

test("scheduler_yield, object_activate_from, partition_create_partition", () => {
  const { rm } = boot();
  ok(rm.hvc, Call.SCHEDULER_YIELD, 0n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.SCHEDULER_YIELD, 1n << 20n, 0n);
  const db = create(rm, "doorbell");
  ok(rm.hvc, Call.OBJECT_ACTIVATE_FROM, rm.caps.cspace, db);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.OBJECT_ACTIVATE_FROM, rm.caps.cspace, db);
  const p = create(rm, "partition");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, p);
  // A child partition owns no memory: a root extent from it cannot claim RAM.
  const me = ok(rm.hvc, Call.PARTITION_CREATE_MEMEXTENT, p, rm.caps.cspace);
  ok(rm.hvc, Call.MEMEXTENT_CONFIGURE, me, BigInt(RAM_BASE + (16 << 20)), 0x1000n, 7n);
  expectError(rm.hvc, HypError.MEMDB_NOT_OWNER, Call.OBJECT_ACTIVATE, me);
  // Creating from an INIT partition is refused.
  const p2 = create(rm, "partition");
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.PARTITION_CREATE_DOORBELL, p2, rm.caps.cspace);
});

test("memextent_modify: zero a range, unmap all, reserved options", () => {
  const { rm } = boot();
  const me = deriveExtent(rm, rm.caps.memextent, 0, 0x2000);
  const as = rm.caps.addrspace;
  const pa = BigInt(rm.caps.ramBase);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, me, pa, 0x66n, 0n, 0n, 0n);
  rm.memory.write(Number(pa), new Uint8Array([1, 2, 3]));
  ok(rm.hvc, Call.MEMEXTENT_MODIFY, me, 1n, 0n, 0x1000n);
  const r = rm.memory.read(Number(pa), 3);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [0, 0, 0]);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.MEMEXTENT_MODIFY, me, 1n, 0x1000n, 0x2000n);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.MEMEXTENT_MODIFY, me, 1n, 0n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_ALIGNMENT, Call.MEMEXTENT_MODIFY, me, 1n, 8n, 0x1000n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.MEMEXTENT_MODIFY, me, 9n, 0n, 0x1000n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.MEMEXTENT_MODIFY, me, 1n << 12n, 0n, 0x1000n);
  ok(rm.hvc, Call.MEMEXTENT_MODIFY, me, 0n, 0n, 0n);
  assert.deepEqual(rm.memory.read(Number(pa), 1), { ok: false, error: HypError.ADDR_INVALID });
});

test("vic_configure and vic_attach_vcpu limits", () => {
  const f = fakeFactory();
  const { rm } = boot({ cpuFactory: f.factory });
  const vic = create(rm, "vic");
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VIC_CONFIGURE, vic, 0n, 32n, 0n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VIC_CONFIGURE, vic, 65n, 32n, 0n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VIC_CONFIGURE, vic, 1n, 989n, 0n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VIC_CONFIGURE, vic, 1n, 32n, 8n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VIC_CONFIGURE, vic, 1n, 32n, 0n, 1n); // MSIs
  ok(rm.hvc, Call.VIC_CONFIGURE, vic, 2n, 32n, 0n, 0n);
  const t = create(rm, "thread");
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VIC_ATTACH_VCPU, vic, t, 0n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, vic);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VIC_ATTACH_VCPU, vic, t, 2n);
  ok(rm.hvc, Call.VIC_ATTACH_VCPU, vic, t, 1n);
  expectError(rm.hvc, HypError.BUSY, Call.VIC_ATTACH_VCPU, vic, t, 0n);
  const t2 = create(rm, "thread");
  expectError(rm.hvc, HypError.BUSY, Call.VIC_ATTACH_VCPU, vic, t2, 1n);
  // A guest vic routes SPIs only below 32 + max_virqs.
  const db = create(rm, "doorbell");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, db);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.DOORBELL_BIND_VIRQ, db, vic, 64n);
  ok(rm.hvc, Call.DOORBELL_BIND_VIRQ, db, vic, 63n);
});

test("vPM group: state follows power, its VIRQ fires on the first power-on and the last power-off", async () => {
  const f = fakeFactory();
  const { rm } = boot({ cpuFactory: f.factory });
  const g = buildGuest(rm, { vcpus: 2 });
  const state = () => rm.hvc.hvc(hypercallId(Call.VPM_GROUP_GET_STATE), [g.vpm, 0n])[1];
  assert.equal(state(), BigInt(VpmState.NO_STATE));
  ok(rm.hvc, Call.VPM_GROUP_BIND_VIRQ, g.vpm, rm.caps.vic, 90n);
  expectError(rm.hvc, HypError.VIRQ_BOUND, Call.VPM_GROUP_BIND_VIRQ, g.vpm, rm.caps.vic, 91n);
  let n = 0;
  rm.virqs.onVirq(90, () => n++);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[1]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  assert.equal(state(), BigInt(VpmState.RUNNING));
  // Only a vCPU can power itself off (Gunyah); from outside it is vcpu_kill.
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_POWEROFF, g.vcpus[0]!, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_POWEROFF, g.vcpus[1]!, 2n);
  // vCPU 0 powers itself off through its own cspace (a cap to itself), by HVC.
  const selfCap = ok(
    rm.hvc,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    g.vcpus[0]!,
    g.cspace,
    0xffff_ffffn,
  );
  f.cpus[0]!.script.push((c) => {
    c.x[0] = 0xc600_8000n | BigInt(Call.VCPU_POWEROFF);
    c.x[1] = selfCap;
    c.x[2] = 0n;
    c.x[3] = 0n;
    return { kind: "hvc", imm: 0 };
  });
  const r = rm.hvc.hvc(hypercallId(Call.VCPU_RUN), [g.vcpus[0]!, 0n, 0n, 0n, 0n]);
  assert.deepEqual([r[0], r[1], r[2]], [0n, BigInt(VcpuRunState.POWERED_OFF), 0n]);
  assert.equal(state(), BigInt(VpmState.RUNNING));
  ok(rm.hvc, Call.VCPU_KILL, g.vcpus[1]!);
  assert.equal(state(), BigInt(VpmState.NO_STATE));
  await turns();
  assert.equal(n, 1, "two edges (on, off) coalesced before delivery");
  ok(rm.hvc, Call.VPM_GROUP_UNBIND_VIRQ, g.vpm);
  ok(rm.hvc, Call.VPM_GROUP_UNBIND_VIRQ, g.vpm); // unbinding twice is a no-op, as in Gunyah
});

test("vcpu_set_affinity (res1), vcpu_bind/unbind_virq types", () => {
  const f = fakeFactory();
  const { rm } = boot({ cpuFactory: f.factory });
  const g = buildGuest(rm);
  const RES1 = (1n << 64n) - 1n;
  ok(rm.hvc, Call.VCPU_SET_AFFINITY, g.vcpus[0]!, 0n, RES1);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_SET_AFFINITY, g.vcpus[0]!, 0n, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_SET_AFFINITY, g.vcpus[0]!, 64n, RES1);
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.VCPU_BIND_VIRQ,
    g.vcpus[0]!,
    rm.caps.vic,
    50n,
    2n,
  );
  ok(rm.hvc, Call.VCPU_BIND_VIRQ, g.vcpus[0]!, rm.caps.vic, 50n, BigInt(VcpuVirqType.HALT));
  ok(rm.hvc, Call.VCPU_UNBIND_VIRQ, g.vcpus[0]!, BigInt(VcpuVirqType.VCPU_RUN_WAKEUP)); // not bound: no-op
  ok(rm.hvc, Call.VCPU_UNBIND_VIRQ, g.vcpus[0]!, BigInt(VcpuVirqType.HALT));
  const [e] = call(rm.hvc, Call.VCPU_UNBIND_VIRQ, g.vcpus[0]!, 7n);
  assert.equal(e, HypError.ARGUMENT_INVALID);
});

test("vcpu_set_priority / set_timeslice in INIT only; register_write before activation is kept", () => {
  const f = fakeFactory();
  const { rm } = boot({ cpuFactory: f.factory });
  const t = create(rm, "thread");
  ok(rm.hvc, Call.VCPU_SET_PRIORITY, t, 63n);
  expectError(rm.hvc, HypError.DENIED, Call.VCPU_SET_PRIORITY, t, 64n);
  ok(rm.hvc, Call.VCPU_SET_TIMESLICE, t, 1_000_000n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VCPU_SET_TIMESLICE, t, 0n);
  ok(rm.hvc, Call.VCPU_REGISTER_WRITE, t, 0n, 2n, 0x22n); // X2 before activation
  const g = buildGuest(rm);
  ok(rm.hvc, Call.ADDRSPACE_ATTACH_THREAD, g.addrspace, t);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, t);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VCPU_SET_PRIORITY, t, 1n);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VCPU_SET_TIMESLICE, t, 1n);
  ok(rm.hvc, Call.VCPU_POWERON, t, BigInt(GUEST_RAM_IPA), 0n, 0n);
  assert.equal(f.cpus.at(-1)!.x[2], 0x22n);
});

test("vpm_group_configure (0x66): flags, rights, type and state checks of hyp/vm/vpm_base", () => {
  const { rm } = boot();
  const group = create(rm, "vpm_group");
  // Unknown flags are UNIMPLEMENTED before the cap is even looked up.
  expectError(rm.hvc, HypError.UNIMPLEMENTED, Call.VPM_GROUP_CONFIGURE, group, 2n, 0n);
  expectError(rm.hvc, HypError.UNIMPLEMENTED, Call.VPM_GROUP_CONFIGURE, 0n, 1n << 63n, 0n);
  // res0 (the glue's check), a cap that does not decode, the wrong object type.
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VPM_GROUP_CONFIGURE, group, 1n, 1n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VPM_GROUP_CONFIGURE, 0x1234n, 0n, 0n);
  const bell = create(rm, "doorbell");
  expectError(rm.hvc, HypError.CSPACE_WRONG_OBJECT_TYPE, Call.VPM_GROUP_CONFIGURE, bell, 0n, 0n);
  // In INIT: no_aggregation (bit 0) or nothing is accepted; once active, OBJECT_STATE.
  ok(rm.hvc, Call.VPM_GROUP_CONFIGURE, group, 1n, 0n);
  ok(rm.hvc, Call.VPM_GROUP_CONFIGURE, group, 0n, 0n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, group, 0n);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VPM_GROUP_CONFIGURE, group, 1n, 0n);
});

test("object_reset / object_reset_from: UNIMPLEMENTED as in the public hypervisor, res0 checked first", () => {
  const { rm } = boot();
  const bell = create(rm, "doorbell");
  expectError(rm.hvc, HypError.UNIMPLEMENTED, Call.OBJECT_RESET, bell, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.OBJECT_RESET, bell, 1n);
  expectError(rm.hvc, HypError.UNIMPLEMENTED, Call.OBJECT_RESET_FROM, 0n, bell, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.OBJECT_RESET_FROM, 0n, bell, 5n);
});
