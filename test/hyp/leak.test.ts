// 1,000 create/teardown cycles of a whole VM's worth of objects, deleting the caps in
// a different order each time: stats() must return to the baseline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DonateType, MapFlags, VcpuOption, VcpuVirqType } from "../../src/hyp/abi/index.js";
import type { RootVm } from "../../src/hyp/abi/port.js";
import { fakeFactory } from "./fake-cpu.js";
import {
  Access,
  Call,
  MemextentType,
  RAM_BASE,
  boot,
  create,
  deriveExtent,
  makeAddrspace,
  makeMsgqueue,
  mappingAttrs,
  ok,
} from "./helpers.js";

const CYCLES = 1000;

function buildOnce(rm: RootVm, i: number): bigint[] {
  const caps: bigint[] = [];
  const as = makeAddrspace(rm, 0x80 + (i % 64));
  const ram = deriveExtent(rm, rm.caps.memextent, 0, 0x4000);
  const sparse = deriveExtent(rm, rm.caps.memextent, 0, 0x4000, MemextentType.SPARSE);
  ok(rm.hvc, Call.MEMEXTENT_DONATE, BigInt(DonateType.TO_PROTECTED), ram, sparse, 0x1000n, 0x1000n);
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    as,
    ram,
    0x4000_0000n,
    mappingAttrs(Access.RWX),
    BigInt(MapFlags.PARTIAL),
    0n,
    0x1000n,
  );
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    as,
    sparse,
    0x4000_1000n,
    mappingAttrs(Access.RW),
    BigInt(MapFlags.PARTIAL),
    0x1000n,
    0x1000n,
  );
  const cs = create(rm, "cspace");
  ok(rm.hvc, Call.CSPACE_CONFIGURE, cs, 8n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, cs);
  const vic = create(rm, "vic");
  ok(rm.hvc, Call.VIC_CONFIGURE, vic, 1n, 64n, 0n, 0n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, vic);
  const vpm = create(rm, "vpm_group");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, vpm);
  const t = create(rm, "thread");
  ok(rm.hvc, Call.VCPU_CONFIGURE, t, BigInt(VcpuOption.VCPU_RUN_SCHEDULED));
  ok(rm.hvc, Call.ADDRSPACE_ATTACH_THREAD, as, t);
  ok(rm.hvc, Call.CSPACE_ATTACH_THREAD, cs, t);
  ok(rm.hvc, Call.VIC_ATTACH_VCPU, vic, t, 0n);
  ok(rm.hvc, Call.VPM_GROUP_ATTACH_VCPU, vpm, t, 0n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, t);
  ok(rm.hvc, Call.VCPU_BIND_VIRQ, t, rm.caps.vic, 100n, BigInt(VcpuVirqType.VCPU_RUN_WAKEUP));
  ok(rm.hvc, Call.VCPU_POWERON, t, 0x4000_0000n, 0n, 0n);
  const mq = makeMsgqueue(rm, 4, 16);
  ok(rm.hvc, Call.MSGQUEUE_BIND_RECEIVE_VIRQ, mq, rm.caps.vic, 101n);
  ok(rm.hvc, Call.MSGQUEUE_BIND_SEND_VIRQ, mq, vic, 40n);
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 4n, BigInt(RAM_BASE), 0n);
  const db = create(rm, "doorbell");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, db);
  ok(rm.hvc, Call.DOORBELL_BIND_VIRQ, db, vic, 41n);
  const copy = ok(rm.hvc, Call.CSPACE_COPY_CAP_FROM, rm.caps.cspace, db, cs, 1n);
  assert.ok(copy !== undefined);
  caps.push(as, ram, sparse, cs, vic, vpm, t, mq, db);
  return caps;
}

test(`${CYCLES} create/teardown cycles leave no object, cap, page owner or mapping behind`, () => {
  const f = fakeFactory();
  const { hyp, rm } = boot({ cpuFactory: f.factory });
  // RAM banks stay backed once touched (SharedArrayBuffers are not returned): leave
  // that figure out of the comparison.
  const snapshot = () => ({ ...hyp.stats(), backedBytes: 0 });
  const baseline = snapshot();
  for (let i = 0; i < CYCLES; i++) {
    const caps = buildOnce(rm, i);
    // Rotate and sometimes reverse the deletion order.
    const k = i % caps.length;
    const order = [...caps.slice(k), ...caps.slice(0, k)];
    if (i % 2) order.reverse();
    for (const c of order) ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, c);
    if (i % 100 === 0) assert.deepEqual(snapshot(), baseline, `cycle ${i}`);
  }
  assert.deepEqual(snapshot(), baseline);
  assert.equal(hyp.clock.waiting, 0);
});
