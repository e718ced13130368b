import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../src/lib/log.js";
import { RmClient, RM_MAX_REQUEST_SIZE } from "../../src/host/rm/client.js";
import { RmCalls } from "../../src/host/rm/calls.js";
import {
  encodeHeader,
  HypResourceType,
  MsgType,
  RmError,
  RmNotification,
  VmMsg,
  VmStatus,
  VmStatusNotification,
} from "../../src/rm/protocol/index.js";
import { FakeRm, resource } from "./fake-rm.js";
import { until } from "./setup.js";

setLogSink(() => {});

function setup(options = {}) {
  const rm = new FakeRm();
  const client = new RmClient(rm.transport, options);
  return { rm, client, calls: new RmCalls(client) };
}

test("rm client: a call gets its reply; sequence numbers advance by one", async () => {
  const { rm, calls } = setup();
  const a = await calls.allocVmid();
  const b = await calls.allocVmid();
  assert.ok(a.ok && b.ok);
  assert.equal(a.value, 0x80);
  assert.equal(b.value, 0x81);
  assert.deepEqual(rm.seqs, [0, 1]);
});

test("rm client: 16-bit sequence numbers wrap", async () => {
  const { rm, client, calls } = setup();
  (client as unknown as { nextSeq: number }).nextSeq = 0xffff;
  await calls.allocVmid();
  await calls.allocVmid();
  assert.deepEqual(rm.seqs, [0xffff, 0]);
});

test("rm client: one request outstanding at a time", async () => {
  const { rm, calls } = setup();
  rm.silent = true;
  const first = calls.allocVmid();
  const second = calls.allocVmid();
  // Wait for the first request however loaded the machine is, then give a client that
  // wrongly pipelined the second request plenty of turns to send it.
  await until(() => rm.requests.length >= 1, 10_000);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(rm.requests.length, 1, "the second request waits for the first reply");
  rm.release();
  assert.ok((await first).ok);
  assert.ok((await second).ok);
  assert.equal(rm.requests.length, 2);
});

test("rm client: large requests are fragmented and large replies reassembled", async () => {
  const { rm, calls } = setup();
  const vmid = await calls.allocVmid();
  assert.ok(vmid.ok);
  const ranges = Array.from({ length: 100 }, (_, i) => ({ base: BigInt(i) << 20n, size: 4096n }));
  assert.ok((await calls.setDemandPaging(vmid.value, ranges)).ok);
  const req = rm.requests.at(-1);
  assert.equal(req?.msgId, VmMsg.VM_SET_DEMAND_PAGING);
  assert.equal(req?.payload.length, 8 + 100 * 16);
  rm.resourcesFor = () =>
    Array.from({ length: 30 }, (_, i) =>
      resource(HypResourceType.VIRTUAL_CPU, i, BigInt(i + 1000), 992 + i),
    );
  const res = await calls.getHypResources(vmid.value);
  assert.ok(res.ok);
  assert.equal(res.value.length, 30);
  assert.equal(res.value[29]?.capId, 1029n);
});

test("rm client: refuses requests above 62 fragments (E2BIG)", async () => {
  const { client } = setup();
  const r = await client.call(VmMsg.VM_SET_DEMAND_PAGING, new Uint8Array(RM_MAX_REQUEST_SIZE + 1));
  assert.ok(!r.ok);
  assert.equal(r.error.code, "E2BIG");
});

test("rm client: RM errors map to errno as Linux does", async () => {
  const { rm, calls } = setup();
  const cases: Array<[number, string]> = [
    [RmError.UNIMPLEMENTED, "EOPNOTSUPP"],
    [RmError.NOMEM, "ENOMEM"],
    [RmError.NORESOURCE, "ENODEV"],
    [RmError.DENIED, "EPERM"],
    [RmError.BUSY, "EBUSY"],
    [RmError.ARGUMENT_INVALID, "EINVAL"],
    [RmError.MEM_INUSE, "EINVAL"],
    [RmError.VM_STATE, "EBADMSG"],
  ];
  for (const [code, errno] of cases) {
    rm.errors.set(VmMsg.VM_ALLOC_VMID, code);
    const r = await calls.allocVmid();
    assert.ok(!r.ok);
    assert.equal(r.error.code, errno);
    assert.equal(r.error.origin.rmError, code);
  }
});

test("rm client: malformed packets are skipped and reading goes on", async () => {
  const { rm, client, calls } = setup();
  rm.silent = true;
  const pending = calls.allocVmid();
  await new Promise((r) => setTimeout(r, 5));
  rm.sendRaw(new Uint8Array([1, 2, 3])); // shorter than a header
  rm.sendRaw(new Uint8Array([0x31, 0x09, 0, 0, 1, 0, 0, 0x56])); // bad version
  const orphan = encodeHeader({ type: MsgType.CONTINUATION, fragments: 1, seq: 0, msgId: 1 });
  rm.sendRaw(orphan);
  // A reply with a wrong seq is not taken for ours.
  const wrong = new Uint8Array(12);
  encodeHeader({ type: MsgType.REPLY, fragments: 0, seq: 99, msgId: VmMsg.VM_ALLOC_VMID }, wrong);
  rm.sendRaw(wrong);
  rm.release();
  const r = await pending;
  assert.ok(r.ok);
  assert.ok(client.stats.malformed >= 3);
  assert.equal(client.stats.unexpected, 1);
});

test("rm client: notifications dispatch by id, also while a call waits", async () => {
  const { rm, client, calls } = setup();
  const seen: number[] = [];
  const off = client.onNotification(RmNotification.VM_STATUS, (p) => {
    seen.push(VmStatusNotification.decode(p)?.vmStatus ?? -1);
  });
  rm.silent = true;
  const pending = calls.allocVmid();
  rm.notifyStatus(0x80, VmStatus.RUNNING);
  await until(() => seen.length === 1);
  assert.deepEqual(seen, [VmStatus.RUNNING]);
  rm.release();
  assert.ok((await pending).ok);
  off();
  rm.notifyStatus(0x80, VmStatus.EXITED);
  await until(() => client.stats.notifications === 2);
  assert.deepEqual(seen, [VmStatus.RUNNING]);
});

test("rm client: a missing reply times out; a full queue waits for room", async () => {
  const { rm, calls } = setup({ timeoutMs: 30 });
  rm.silent = true;
  const r = await calls.allocVmid();
  assert.ok(!r.ok);
  assert.equal(r.error.code, "ETIMEDOUT");
  const fresh = setup();
  fresh.rm.capacity = 1;
  const ranges = Array.from({ length: 40 }, () => ({ base: 0n, size: 4096n }));
  const v = await fresh.calls.allocVmid();
  assert.ok(v.ok);
  assert.ok((await fresh.calls.setDemandPaging(v.value, ranges)).ok);
});

test("rm client: fault injection fails a call before it is sent; close fails later calls", async () => {
  const { rm, client, calls } = setup();
  client.injector = (id) => (id === VmMsg.VM_ALLOC_VMID ? RmError.NOMEM : undefined);
  const r = await calls.allocVmid();
  assert.ok(!r.ok);
  assert.equal(r.error.code, "ENOMEM");
  assert.equal(rm.requests.length, 0);
  client.injector = undefined;
  client.close();
  const closed = await calls.allocVmid();
  assert.ok(!closed.ok);
  assert.equal(closed.error.code, "ENODEV");
});

test("rm client: replies of the wrong shape are EBADMSG", async () => {
  const { rm, calls } = setup();
  const shapes: Array<
    [number, Uint8Array, () => Promise<{ ok: boolean; error?: { code: string } }>]
  > = [
    [VmMsg.VM_ALLOC_VMID, new Uint8Array(3), () => calls.allocVmid()],
    [VmMsg.VM_START, new Uint8Array(1), () => calls.start(0x80)],
    // count says 2 entries, only one follows
    [
      VmMsg.VM_GET_HYP_RESOURCES,
      new Uint8Array([2, 0, 0, 0, ...new Uint8Array(44)]),
      () => calls.getHypResources(0x80),
    ],
    [VmMsg.VM_GET_STATE, new Uint8Array(7), () => calls.getState(0x80)],
  ];
  for (const [id, raw, call] of shapes) {
    rm.rawReplies.set(id, raw);
    const r = await call();
    assert.equal(r.ok, false, `msg 0x${id.toString(16)}`);
    assert.equal(r.error?.code, "EBADMSG");
  }
});
