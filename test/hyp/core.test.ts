import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HypError,
  hypercallId,
  API_INFO_IS_64BIT,
  GUNYAH_UID,
  hypErrorFromX0,
} from "../../src/hyp/abi/index.js";
import {
  Call,
  RAM_BASE,
  MiB,
  activate,
  boot,
  call,
  create,
  deleteCap,
  expectError,
  makeMsgqueue,
  ok,
  turns,
} from "./helpers.js";

test("hypervisor_identify reports api 1, 64-bit, Gunyah variant and the feature flags", () => {
  const { rm } = boot();
  const r = rm.hvc.hvc(hypercallId(Call.HYPERVISOR_IDENTIFY), []);
  assert.equal(r[0] & 0x3fffn, 1n);
  assert.equal(r[0] & API_INFO_IS_64BIT, API_INFO_IS_64BIT);
  assert.equal(r[0] >> 56n, 0x48n);
  for (const bit of [0, 1, 2, 3, 5, 6, 11])
    assert.equal((r[1] >> BigInt(bit)) & 1n, 1n, `feature ${bit}`);
});

test("SMCCC decode: not fast or not SMC64 is unknown (-1); unknown hypercall UNIMPLEMENTED", () => {
  const { rm } = boot();
  const minus1 = (1n << 64n) - 1n;
  assert.equal(rm.hvc.hvc(0x4600_8000, [])[0], minus1); // not fast
  assert.equal(rm.hvc.hvc(0x8600_8000, [])[0], minus1); // SMC32
  assert.equal(hypErrorFromX0(rm.hvc.hvc(hypercallId(0x3fff), [])[0]), HypError.UNIMPLEMENTED);
  const uid = rm.hvc.hvc(0x8600_ff01, []);
  assert.deepEqual(uid.map(Number), [...GUNYAH_UID]);
  assert.equal(rm.hvc.hvc(0x8000_0000, [])[0], 0x10001n); // SMCCC_VERSION 1.1
});

test("reserved arguments: res0 must be zero, res1 all ones", () => {
  const { rm } = boot();
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.OBJECT_ACTIVATE, rm.caps.partition, 1n);
  const mq = makeMsgqueue(rm);
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MSGQUEUE_CONFIGURE_SEND,
    mq,
    1n,
    0xffff_ffffn,
    0n,
  );
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE_SEND, mq, 1n, 0xffff_ffffn, (1n << 64n) - 1n);
});

test("root VM: caps are distinct, unguessable-looking, and typed", () => {
  const { rm } = boot();
  const ids = [
    rm.caps.partition,
    rm.caps.cspace,
    rm.caps.addrspace,
    rm.caps.memextent,
    rm.caps.vic,
  ];
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(rm.caps.ramBase, RAM_BASE + 8 * MiB);
  assert.equal(rm.caps.ramSize, 56 * MiB);
  // A partition cap used as a cspace is the wrong type.
  expectError(
    rm.hvc,
    HypError.CSPACE_WRONG_OBJECT_TYPE,
    Call.PARTITION_CREATE_DOORBELL,
    rm.caps.partition,
    rm.caps.partition,
  );
  // A made-up cap ID does not decode (or decodes to an empty slot).
  const [e] = call(
    rm.hvc,
    Call.PARTITION_CREATE_DOORBELL,
    rm.caps.partition ^ 0x5a5a5a5a5an,
    rm.caps.cspace,
  );
  assert.ok(e === HypError.ARGUMENT_INVALID || e === HypError.CSPACE_CAP_NULL, `got ${e}`);
});

test("the root VM's own RAM is readable through its view, the rest is not mapped", () => {
  const { rm } = boot();
  const w = rm.memory.write(RAM_BASE + 0x1000, new Uint8Array([1, 2, 3]));
  assert.ok(w.ok);
  const r = rm.memory.read(RAM_BASE + 0x1000, 3);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [1, 2, 3]);
  const bad = rm.memory.read(RAM_BASE + 8 * MiB, 4);
  assert.deepEqual(bad, { ok: false, error: HypError.ADDR_INVALID });
});

test("msgqueue: send/receive through the caller's own RAM, errors and not_full/not_empty", () => {
  const { rm } = boot();
  const mq = makeMsgqueue(rm, 2, 16);
  const buf = BigInt(RAM_BASE + 0x2000);
  rm.memory.write(Number(buf), new Uint8Array([9, 8, 7, 6]));
  let [e, notFull] = call(rm.hvc, Call.MSGQUEUE_SEND, mq, 4n, buf, 0n);
  assert.equal(e, HypError.OK);
  assert.equal(notFull, 1n);
  [e, notFull] = call(rm.hvc, Call.MSGQUEUE_SEND, mq, 4n, buf, 1n);
  assert.equal(notFull, 0n);
  expectError(rm.hvc, HypError.MSGQUEUE_FULL, Call.MSGQUEUE_SEND, mq, 4n, buf, 0n);
  const out = BigInt(RAM_BASE + 0x3000);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.MSGQUEUE_RECEIVE, mq, out, 3n);
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.MSGQUEUE_RECEIVE,
    mq,
    BigInt(RAM_BASE + 8 * MiB),
    16n,
  );
  const [e2, size, notEmpty] = call(rm.hvc, Call.MSGQUEUE_RECEIVE, mq, out, 16n);
  assert.equal(e2, HypError.OK);
  assert.equal(size, 4n);
  assert.equal(notEmpty, 1n);
  const got = rm.memory.read(Number(out), 4);
  assert.ok(got.ok);
  assert.deepEqual([...got.value], [9, 8, 7, 6]);
  ok(rm.hvc, Call.MSGQUEUE_RECEIVE, mq, out, 16n);
  expectError(rm.hvc, HypError.MSGQUEUE_EMPTY, Call.MSGQUEUE_RECEIVE, mq, out, 16n);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.MSGQUEUE_SEND, mq, 17n, buf, 0n);
  // A zero-length message is valid (Gunyah); the queue has room for it.
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 0n, buf, 0n);
  ok(rm.hvc, Call.MSGQUEUE_RECEIVE, mq, out, 16n);
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.MSGQUEUE_SEND,
    mq,
    4n,
    BigInt(RAM_BASE + 8 * MiB - 2),
    0n,
  );
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.MSGQUEUE_SEND, mq, 4n, buf, 2n);
});

test("msgqueue receive VIRQ is delivered on a later turn, not inside the hypercall", async () => {
  const { rm } = boot();
  const mq = makeMsgqueue(rm);
  ok(rm.hvc, Call.MSGQUEUE_BIND_RECEIVE_VIRQ, mq, rm.caps.vic, 40n);
  expectError(rm.hvc, HypError.VIRQ_BOUND, Call.MSGQUEUE_BIND_RECEIVE_VIRQ, mq, rm.caps.vic, 41n);
  let fired = 0;
  rm.virqs.onVirq(40, () => {
    fired++;
    ok(rm.hvc, Call.MSGQUEUE_RECEIVE, mq, BigInt(RAM_BASE), 240n);
  });
  rm.memory.write(RAM_BASE, new Uint8Array([1]));
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 1n, BigInt(RAM_BASE), 0n);
  assert.equal(fired, 0);
  await turns();
  assert.equal(fired, 1);
  ok(rm.hvc, Call.MSGQUEUE_UNBIND_RECEIVE_VIRQ, mq);
  ok(rm.hvc, Call.MSGQUEUE_UNBIND_RECEIVE_VIRQ, mq); // a second unbind is a no-op (Gunyah)
});

test("lifecycle: configure only in INIT, activate twice is OBJECT_STATE, missing config OBJECT_CONFIG", () => {
  const { rm } = boot();
  const mq = create(rm, "msgqueue");
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.MSGQUEUE_SEND, mq, 1n, BigInt(RAM_BASE), 0n);
  expectError(rm.hvc, HypError.OBJECT_CONFIG, Call.OBJECT_ACTIVATE, mq);
  // FAILED: neither configurable nor activatable.
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.MSGQUEUE_CONFIGURE, mq, 0x10_0001n);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.OBJECT_ACTIVATE, mq);
  const db = create(rm, "doorbell");
  activate(rm, db);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.OBJECT_ACTIVATE, db);
  deleteCap(rm, mq);
  deleteCap(rm, db);
});

test("create + delete returns stats to the baseline", () => {
  const { hyp, rm } = boot();
  const base = hyp.stats();
  const caps = [
    makeMsgqueue(rm),
    create(rm, "doorbell"),
    create(rm, "cspace"),
    create(rm, "addrspace"),
  ];
  assert.equal(hyp.stats().caps, base.caps + 4);
  for (const c of caps) deleteCap(rm, c);
  assert.deepEqual(hyp.stats(), base);
  expectError(rm.hvc, HypError.CSPACE_CAP_NULL, Call.OBJECT_ACTIVATE, caps[1]!);
});
