import { test } from "node:test";
import assert from "node:assert/strict";
import { SystemClock, type Waiter } from "../../src/hyp/time.js";

function waiter(runnable = false): Waiter & { woken: number } {
  const w = {
    woken: 0,
    runnable,
    wake() {
      w.woken++;
    },
  };
  return w;
}

test("instructions mode: the counter is the sum of instructions retired and never goes back", () => {
  const c = new SystemClock("instructions", 62_500_000);
  const a = { instructionsRetired: 100 };
  const b = { instructionsRetired: 50 };
  c.addCpu(a);
  c.addCpu(b);
  assert.equal(c.now(), 150n);
  c.removeCpu(a);
  assert.equal(c.now(), 150n);
  b.instructionsRetired = 60;
  assert.equal(c.now(), 160n);
  c.advanceTo(100n);
  assert.equal(c.now(), 160n, "no jump backwards");
  c.advanceTo(1000n);
  assert.equal(c.now(), 1000n);
});

test("instructionsRetired counts every CPU, destroyed ones too, but not virtual time jumps", () => {
  const c = new SystemClock("instructions", 62_500_000);
  const a = { instructionsRetired: 100 };
  const b = { instructionsRetired: 50 };
  c.addCpu(a);
  c.addCpu(b);
  c.advanceTo(10_000n); // every vCPU waited: time jumped, nothing was retired
  assert.equal(c.instructionsRetired(), 150n);
  c.removeCpu(a);
  b.instructionsRetired = 70;
  assert.equal(c.instructionsRetired(), 170n);
  assert.equal(c.now(), 10_020n);
});

test("slices stop at a future deadline only", () => {
  const c = new SystemClock("instructions", 62_500_000);
  c.addCpu({ instructionsRetired: 500 });
  assert.equal(c.budgetUntil(600n, 10_000), 100);
  assert.equal(c.budgetUntil(400n, 10_000), 10_000, "a fired timer does not shrink the slice");
  assert.equal(c.budgetUntil(undefined, 10_000), 10_000);
});

test("idle jump: time jumps to the earliest deadline only when nothing is runnable", async () => {
  const c = new SystemClock("instructions", 62_500_000);
  const busy = waiter(true);
  const w1 = waiter();
  const w2 = waiter();
  c.track(busy);
  c.track(w1);
  c.track(w2);
  c.wait(w1, 1000n);
  c.wait(w2, 5000n);
  await new Promise((r) => setImmediate(r));
  assert.equal(w1.woken, 0, "another vCPU can run: no jump");
  c.untrack(busy);
  c.jumpIfIdle();
  assert.equal(c.now(), 1000n);
  assert.equal(w1.woken, 1);
  assert.equal(w2.woken, 0);
  c.jumpIfIdle();
  assert.equal(c.now(), 5000n);
  assert.equal(w2.woken, 1);
  // A deadline in the past cannot wake anyone.
  const w3 = waiter();
  c.track(w3);
  c.wait(w3, 10n);
  c.jumpIfIdle();
  assert.equal(w3.woken, 0);
  c.dispose();
});

test("wall mode: a host timer wakes the waiter at its deadline", async () => {
  const c = new SystemClock("wall", 1_000_000);
  const w = waiter();
  c.track(w);
  c.wait(w, c.now() + 5_000n); // 5 ms
  assert.equal(w.woken, 0);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(w.woken, 1);
  c.dispose();
});
