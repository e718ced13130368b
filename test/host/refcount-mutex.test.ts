import { test } from "node:test";
import assert from "node:assert/strict";
import { InvariantError } from "../../src/lib/assert.js";
import { AsyncMutex } from "../../src/host/mutex.js";
import { OwnedRef, RefCount } from "../../src/host/refcount.js";

test("refcount: the last put releases once; no resurrection; underflow is a bug", () => {
  let released = 0;
  const rc = new RefCount(() => released++);
  assert.ok(rc.tryGet());
  assert.equal(rc.references, 2);
  rc.put();
  assert.equal(released, 0);
  rc.put();
  assert.equal(released, 1);
  assert.equal(rc.live, false);
  assert.equal(rc.tryGet(), false, "kref_get_unless_zero");
  assert.throws(() => rc.put(), InvariantError);
  const owned = new OwnedRef(new RefCount(() => released++));
  owned.drop();
  owned.drop();
  assert.equal(released, 2, "a handle drops its reference exactly once");
});

test("async mutex: FIFO, one holder at a time, released on every path", async () => {
  const m = new AsyncMutex();
  const order: string[] = [];
  const task = (name: string, fail = false) =>
    m.run(async () => {
      order.push(`${name}+`);
      await new Promise((r) => setImmediate(r));
      order.push(`${name}-`);
      if (fail) throw new Error(name);
    });
  const results = await Promise.allSettled([task("a"), task("b", true), task("c")]);
  assert.deepEqual(order, ["a+", "a-", "b+", "b-", "c+", "c-"]);
  assert.equal(results[1]?.status, "rejected");
  assert.equal(m.isLocked, false);
  const held = m.tryLock();
  assert.ok(held);
  assert.equal(m.tryLock(), undefined);
  held();
  held();
  assert.equal(m.isLocked, false);
});
