import { test } from "node:test";
import assert from "node:assert/strict";
import { EventFd, EVENTFD_MAX } from "../../src/host/eventfd.js";

test("eventfd: signal adds, read returns the sum and resets", () => {
  const e = new EventFd();
  assert.equal(e.read().ok, false);
  assert.equal(e.signal(3).ok, true);
  assert.equal(e.signal(4n).ok, true);
  const r = e.read();
  assert.ok(r.ok);
  assert.equal(r.value, 7n);
  const empty = e.read();
  assert.ok(!empty.ok);
  assert.equal(empty.error.code, "EAGAIN");
});

test("eventfd: semaphore mode reads one at a time", () => {
  const e = new EventFd({ semaphore: true, initial: 2 });
  assert.deepEqual(
    [e.read(), e.read()].map((r) => r.ok && r.value),
    [1n, 1n],
  );
  assert.equal(e.read().ok, false);
});

test("eventfd: overflow past the maximum is EAGAIN and leaves the counter", () => {
  const e = new EventFd({ initial: EVENTFD_MAX - 1n });
  assert.ok(e.signal(1).ok);
  const r = e.signal(1);
  assert.ok(!r.ok);
  assert.equal(r.error.code, "EAGAIN");
  assert.equal(e.value, EVENTFD_MAX);
  const bad = e.signal(-1);
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, "EINVAL");
});

test("eventfd: wait resolves on signal; listeners are notified; close wakes waiters", async () => {
  const e = new EventFd();
  let notified = 0;
  const off = e.onSignal(() => notified++);
  const waiting = e.wait();
  setImmediate(() => e.signal(5));
  const r = await waiting;
  assert.ok(r.ok);
  assert.equal(r.value, 5n);
  assert.equal(notified, 1);
  off();
  e.signal(1);
  assert.equal(notified, 1);
  e.read();
  const w2 = e.wait();
  e.close();
  const closed = await w2;
  assert.ok(!closed.ok);
  assert.equal(closed.error.code, "EBADF");
});

test("eventfd: descriptors name open eventfds only", () => {
  const a = new EventFd();
  const b = new EventFd();
  assert.notEqual(a.fd, b.fd);
  assert.equal(EventFd.fromFd(a.fd), a);
  a.close();
  assert.equal(EventFd.fromFd(a.fd), undefined);
  assert.equal(EventFd.fromFd(b.fd), b);
  assert.equal(EventFd.fromFd(0x7fff_ffff), undefined);
  b[Symbol.dispose]();
  assert.equal(b.isClosed, true);
});
