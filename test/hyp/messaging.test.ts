// Doorbell and message-queue semantics, VIRQs included (gunyah-abi.md section 2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError, hypercallId } from "../../src/hyp/abi/index.js";
import {
  Call,
  RAM_BASE,
  boot,
  call,
  create,
  expectError,
  makeMsgqueue,
  ok,
  turns,
} from "./helpers.js";

const U64 = (1n << 64n) - 1n;

function doorbell() {
  const { rm } = boot();
  const db = create(rm, "doorbell");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, db);
  return { rm, db };
}

test("doorbell: send ORs flags and returns the old ones; receive clears; reset restores masks", () => {
  const { rm, db } = doorbell();
  assert.equal(ok(rm.hvc, Call.DOORBELL_SEND, db, 0b0101n), 0n);
  assert.equal(ok(rm.hvc, Call.DOORBELL_SEND, db, 0b0010n), 0b0101n);
  assert.equal(ok(rm.hvc, Call.DOORBELL_RECEIVE, db, 0b0001n), 0b0111n);
  assert.equal(ok(rm.hvc, Call.DOORBELL_RECEIVE, db, U64), 0b0110n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.DOORBELL_SEND, db, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.DOORBELL_RECEIVE, db, 0n);
  ok(rm.hvc, Call.DOORBELL_MASK, db, 1n, 1n);
  ok(rm.hvc, Call.DOORBELL_SEND, db, 0b11n);
  // Bit 0 was enabled and acked: it is cleared by the send itself.
  assert.equal(ok(rm.hvc, Call.DOORBELL_RECEIVE, db, U64), 0b10n);
  ok(rm.hvc, Call.DOORBELL_RESET, db);
  ok(rm.hvc, Call.DOORBELL_SEND, db, 0b1n);
  assert.equal(ok(rm.hvc, Call.DOORBELL_RECEIVE, db, U64), 1n, "reset: ack mask 0 again");
});

test("doorbell VIRQ: raised when flags & enable, level until received, Linux's level irqfd (mask 1/1)", async () => {
  const { rm, db } = doorbell();
  ok(rm.hvc, Call.DOORBELL_BIND_VIRQ, db, rm.caps.vic, 60n);
  expectError(rm.hvc, HypError.VIRQ_BOUND, Call.DOORBELL_BIND_VIRQ, db, rm.caps.vic, 61n);
  let n = 0;
  rm.virqs.onVirq(60, () => {
    n++;
    ok(rm.hvc, Call.DOORBELL_RECEIVE, db, U64);
  });
  ok(rm.hvc, Call.DOORBELL_MASK, db, 0b10n, 0n);
  ok(rm.hvc, Call.DOORBELL_SEND, db, 0b01n);
  await turns();
  assert.equal(n, 0, "not enabled");
  ok(rm.hvc, Call.DOORBELL_MASK, db, 0b01n, 0n); // re-evaluates: now enabled
  await turns();
  assert.equal(n, 1);
  ok(rm.hvc, Call.DOORBELL_MASK, db, 1n, 1n);
  ok(rm.hvc, Call.DOORBELL_SEND, db, 1n);
  await turns();
  ok(rm.hvc, Call.DOORBELL_SEND, db, 1n);
  ok(rm.hvc, Call.DOORBELL_SEND, db, 1n);
  await turns();
  // Each send with ack is an edge; two before delivery coalesce, as a latch does.
  assert.equal(n, 3);
  ok(rm.hvc, Call.DOORBELL_UNBIND_VIRQ, db);
  ok(rm.hvc, Call.DOORBELL_UNBIND_VIRQ, db); // no-op when unbound
});

test("VIRQ binding checks: bad VIRQ numbers, wrong rights, a VIRQ taken by another source", () => {
  const { rm, db } = doorbell();
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.DOORBELL_BIND_VIRQ, db, rm.caps.vic, 5n);
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.DOORBELL_BIND_VIRQ,
    db,
    rm.caps.vic,
    0x1_0000_0000n,
  );
  const db2 = create(rm, "doorbell");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, db2);
  ok(rm.hvc, Call.DOORBELL_BIND_VIRQ, db, rm.caps.vic, 70n);
  expectError(rm.hvc, HypError.VIRQ_BOUND, Call.DOORBELL_BIND_VIRQ, db2, rm.caps.vic, 70n);
  // A copy without the bind right.
  const weak = ok(rm.hvc, Call.CSPACE_COPY_CAP_FROM, rm.caps.cspace, db2, rm.caps.cspace, 0x1n);
  expectError(
    rm.hvc,
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
    Call.DOORBELL_BIND_VIRQ,
    weak,
    rm.caps.vic,
    71n,
  );
  ok(rm.hvc, Call.DOORBELL_SEND, weak, 1n);
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, Call.DOORBELL_RECEIVE, weak, 1n);
});

test("msgqueue thresholds: receive VIRQ at not-empty threshold or on push; send VIRQ when draining to not-full", async () => {
  const { rm } = boot();
  const mq = makeMsgqueue(rm, 4, 8);
  ok(rm.hvc, Call.MSGQUEUE_BIND_RECEIVE_VIRQ, mq, rm.caps.vic, 80n);
  ok(rm.hvc, Call.MSGQUEUE_BIND_SEND_VIRQ, mq, rm.caps.vic, 81n);
  let rx = 0;
  let tx = 0;
  rm.virqs.onVirq(80, () => rx++);
  rm.virqs.onVirq(81, () => tx++);
  const buf = BigInt(RAM_BASE);
  const RES1 = (1n << 64n) - 1n;
  const SAME = 0xffff_ffffn; // MSGQUEUE_DELAY_UNCHANGED / THRESHOLD_UNCHANGED
  expectError(rm.hvc, HypError.UNIMPLEMENTED, Call.MSGQUEUE_CONFIGURE_RECEIVE, mq, 2n, 0n, RES1);
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MSGQUEUE_CONFIGURE_RECEIVE,
    mq,
    0n,
    SAME,
    RES1,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MSGQUEUE_CONFIGURE_RECEIVE,
    mq,
    5n,
    SAME,
    RES1,
  );
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE_RECEIVE, mq, SAME, SAME, RES1);
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE_RECEIVE, mq, 2n, SAME, RES1);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.MSGQUEUE_CONFIGURE_SEND, mq, 4n, SAME, RES1);
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE_SEND, mq, 1n, SAME, RES1);
  await turns();
  // Setting the not-full threshold at or above the count raises the send VIRQ at once.
  assert.equal(tx, 1);
  tx = 0;
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 1n, buf, 0n);
  await turns();
  assert.equal(rx, 0, "below the not-empty threshold");
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 1n, buf, 0n);
  await turns();
  assert.ok(rx >= 2, "reached the threshold; the handler did not drain: level re-delivers");
  rm.virqs.onVirq(80, () => {
    rx++;
    call(rm.hvc, Call.MSGQUEUE_RECEIVE, mq, buf, 8n);
  });
  await turns(6);
  const afterDrain = rx;
  assert.ok(afterDrain >= 2);
  // Draining 2 -> 1 crossed the not-full threshold (1): one send VIRQ.
  assert.equal(tx, 1);
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 1n, buf, 1n); // push: below threshold but delivered
  await turns(4);
  assert.ok(rx > afterDrain);
  // Flush empties the queue.
  ok(rm.hvc, Call.MSGQUEUE_SEND, mq, 1n, buf, 0n);
  ok(rm.hvc, Call.MSGQUEUE_FLUSH, mq);
  expectError(rm.hvc, HypError.MSGQUEUE_EMPTY, Call.MSGQUEUE_RECEIVE, mq, buf, 8n);
});

test("msgqueue configure: depth 1..255 and size 1..1023, reserved bits rejected", () => {
  const { rm } = boot();
  const bad = [0n, 256n, 0x0400_0001n, 0x0000_0001n, 1n << 32n];
  for (const info of bad) {
    const mq = create(rm, "msgqueue");
    expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.MSGQUEUE_CONFIGURE, mq, info);
  }
  const mq = create(rm, "msgqueue");
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE, mq, 0x03ff_00ffn);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, mq);
  const [e] = call(rm.hvc, Call.MSGQUEUE_SEND, mq, 1023n, BigInt(RAM_BASE), 0n);
  assert.equal(e, HypError.OK);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.MSGQUEUE_SEND, mq, 1024n, BigInt(RAM_BASE), 0n);
  // A receive into a buffer that runs past the caller's RAM: ADDR_INVALID, message kept.
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.MSGQUEUE_RECEIVE,
    mq,
    BigInt(RAM_BASE + (8 << 20) - 100),
    1023n,
  );
  const r = rm.hvc.hvc(hypercallId(Call.MSGQUEUE_RECEIVE), [mq, BigInt(RAM_BASE), 1023n, 0n]);
  assert.deepEqual([r[0], r[1], r[2]], [0n, 1023n, 0n]);
});

test("doorbell_mask withdraws a pending VIRQ when no enabled flag is left; reset withdraws it too", async () => {
  const { rm, db } = doorbell();
  ok(rm.hvc, Call.DOORBELL_BIND_VIRQ, db, rm.caps.vic, 62n);
  let n = 0;
  rm.virqs.onVirq(62, () => n++);
  ok(rm.hvc, Call.DOORBELL_SEND, db, 0b100n);
  ok(rm.hvc, Call.DOORBELL_MASK, db, 0b011n, 0n); // nothing enabled is set any more
  await turns();
  assert.equal(n, 0);
  ok(rm.hvc, Call.DOORBELL_MASK, db, 0b100n, 0n); // enabled again: raised
  ok(rm.hvc, Call.DOORBELL_RESET, db);
  await turns();
  assert.equal(n, 0, "reset withdrew it before delivery");
  assert.equal(ok(rm.hvc, Call.DOORBELL_RECEIVE, db, U64), 0n);
});
