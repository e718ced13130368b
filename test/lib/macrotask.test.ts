// The browser's yield (a MessageChannel task) must keep setImmediate's contract: each
// callback runs in a later task, in the order queued, after pending microtasks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { channelMacrotask, macrotask, nextTask } from "../../src/lib/macrotask.js";

test("channelMacrotask runs callbacks later, in order, after microtasks", async () => {
  const later = channelMacrotask();
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    later(() => seen.push("a"));
    later(() => seen.push("b"));
    later(() => resolve());
    void Promise.resolve().then(() => seen.push("microtask"));
    seen.push("sync");
  });
  assert.deepEqual(seen, ["sync", "microtask", "a", "b"]);
});

test("macrotask lets a timer that is due run between yields (no starvation)", async () => {
  let fired = false;
  setTimeout(() => (fired = true), 0);
  const started = Date.now();
  while (!fired && Date.now() - started < 2000) await nextTask();
  assert.equal(fired, true);
  let ran = false;
  await new Promise<void>((resolve) =>
    macrotask(() => {
      ran = true;
      resolve();
    }),
  );
  assert.equal(ran, true);
});
