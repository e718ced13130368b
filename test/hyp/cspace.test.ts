import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError } from "../../src/hyp/abi/index.js";
import { Call, boot, call, create, expectError, ok } from "./helpers.js";

test("cap IDs differ between seeds and between cspaces (random multiplier and base)", () => {
  const a = boot({ seed: 1 }).rm.caps;
  const b = boot({ seed: 2 }).rm.caps;
  assert.notEqual(a.partition, b.partition);
  const { rm } = boot({ seed: 3 });
  const cs = create(rm, "cspace");
  ok(rm.hvc, Call.CSPACE_CONFIGURE, cs, 4n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, cs);
  const copy = ok(
    rm.hvc,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    rm.caps.partition,
    cs,
    0xffff_ffffn,
  );
  assert.notEqual(copy, rm.caps.partition);
  // Consecutive slots do not give consecutive IDs.
  const d1 = create(rm, "doorbell");
  const d2 = create(rm, "doorbell");
  assert.notEqual(d2 - d1, 1n);
});

test("copy masks rights; revoke_caps_from the master revokes every other cap; delete frees", () => {
  const { hyp, rm } = boot();
  const base = hyp.stats();
  const db = create(rm, "doorbell");
  ok(rm.hvc, Call.OBJECT_ACTIVATE, db);
  const sendOnly = ok(rm.hvc, Call.CSPACE_COPY_CAP_FROM, rm.caps.cspace, db, rm.caps.cspace, 1n);
  ok(rm.hvc, Call.DOORBELL_SEND, sendOnly, 1n);
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, Call.DOORBELL_RECEIVE, sendOnly, 1n);
  const copyOfCopy = ok(
    rm.hvc,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    sendOnly,
    rm.caps.cspace,
    0xffff_ffffn,
  );
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, Call.DOORBELL_RECEIVE, copyOfCopy, 1n);
  // No rights left after the mask: refused.
  expectError(
    rm.hvc,
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    sendOnly,
    rm.caps.cspace,
    2n,
  );
  // Only the master cap may revoke.
  expectError(
    rm.hvc,
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
    Call.CSPACE_REVOKE_CAPS_FROM,
    rm.caps.cspace,
    sendOnly,
  );
  // The single-cap revoke is not implemented in Gunyah's two-level cspace either.
  expectError(
    rm.hvc,
    HypError.UNIMPLEMENTED,
    Call.CSPACE_REVOKE_CAP_FROM,
    rm.caps.cspace,
    sendOnly,
  );
  ok(rm.hvc, Call.CSPACE_REVOKE_CAPS_FROM, rm.caps.cspace, db);
  expectError(rm.hvc, HypError.CSPACE_CAP_REVOKED, Call.DOORBELL_SEND, sendOnly, 1n);
  expectError(rm.hvc, HypError.CSPACE_CAP_REVOKED, Call.DOORBELL_SEND, copyOfCopy, 1n);
  expectError(
    rm.hvc,
    HypError.CSPACE_CAP_REVOKED,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    sendOnly,
    rm.caps.cspace,
    1n,
  );
  ok(rm.hvc, Call.DOORBELL_SEND, db, 1n);
  assert.equal(hyp.stats().objects.doorbell, base.objects.doorbell + 1);
  for (const c of [sendOnly, copyOfCopy])
    ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, c);
  expectError(rm.hvc, HypError.CSPACE_CAP_NULL, Call.DOORBELL_SEND, sendOnly, 1n);
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, db);
  assert.deepEqual(hyp.stats(), base);
});

test("a revoked cap drops its reference: deleting the master then frees the object", () => {
  const { hyp, rm } = boot();
  const base = hyp.stats();
  const db = create(rm, "doorbell");
  const copy = ok(rm.hvc, Call.CSPACE_COPY_CAP_FROM, rm.caps.cspace, db, rm.caps.cspace, 1n);
  ok(rm.hvc, Call.CSPACE_REVOKE_CAPS_FROM, rm.caps.cspace, db);
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, db);
  assert.equal(
    hyp.stats().objects.doorbell,
    base.objects.doorbell,
    "the revoked copy keeps nothing alive",
  );
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, copy);
  assert.deepEqual(hyp.stats(), base);
});

test("a full cspace refuses new caps (CSPACE_FULL) and the new object is not leaked", () => {
  const { hyp, rm } = boot();
  const cs = create(rm, "cspace");
  ok(rm.hvc, Call.CSPACE_CONFIGURE, cs, 2n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, cs);
  ok(rm.hvc, Call.PARTITION_CREATE_DOORBELL, rm.caps.partition, cs);
  ok(rm.hvc, Call.PARTITION_CREATE_DOORBELL, rm.caps.partition, cs);
  const before = hyp.stats().objects.doorbell;
  expectError(rm.hvc, HypError.CSPACE_FULL, Call.PARTITION_CREATE_DOORBELL, rm.caps.partition, cs);
  assert.equal(hyp.stats().objects.doorbell, before);
  // Deleting the cspace deletes the caps in it and so their objects.
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, cs);
  assert.equal(hyp.stats().objects.doorbell, before - 2);
});

test("cspace configure limits and rights: delete needs cap_delete, copy needs cap_copy", () => {
  const { rm } = boot();
  const cs = create(rm, "cspace");
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.CSPACE_CONFIGURE, cs, 0n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.CSPACE_CONFIGURE, cs, 1n << 20n);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.CSPACE_DELETE_CAP_FROM, cs, rm.caps.partition);
  const weak = ok(
    rm.hvc,
    Call.CSPACE_COPY_CAP_FROM,
    rm.caps.cspace,
    rm.caps.cspace,
    rm.caps.cspace,
    0x1n,
  );
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, Call.CSPACE_DELETE_CAP_FROM, weak, cs);
  expectError(
    rm.hvc,
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
    Call.CSPACE_COPY_CAP_FROM,
    weak,
    cs,
    rm.caps.cspace,
    1n,
  );
  const [e] = call(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, (1n << 64n) - 1n);
  assert.ok(e === HypError.ARGUMENT_INVALID || e === HypError.CSPACE_CAP_NULL);
});
