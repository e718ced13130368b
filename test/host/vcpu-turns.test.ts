// The host's deterministic turn policy (src/host/functions/vcpu-turns.ts) on its own:
// who gets the turn is decided only by the order of the vCPUs and by what the
// hypervisor says can run, never by who asks first.

import { test } from "node:test";
import assert from "node:assert/strict";
import { VcpuTurns, type TurnMember } from "../../src/host/functions/vcpu-turns.js";

function members(turns: VcpuTurns, runnable: Set<number>, ids: number[], granted: number[]) {
  for (const id of ids) {
    const m: TurnMember = {
      id,
      canRun: () => runnable.has(id),
      granted: () => void granted.push(id),
    };
    turns.join(m);
  }
}

test("vcpu turns: round robin in id order among the vCPUs that can run", () => {
  const turns = new VcpuTurns();
  const runnable = new Set([0, 1, 2]);
  const granted: number[] = [];
  // Joined out of order: the order is by id, not by arrival.
  members(turns, runnable, [2, 0, 1], granted);
  // vCPU 2 asks first, but vCPU 0 gets the first turn.
  assert.equal(turns.holds(2), false);
  assert.equal(turns.current, 0);
  turns.pass(0);
  assert.equal(turns.current, 1);
  runnable.delete(2); // vCPU 2 went to sleep: skipped
  turns.pass(1);
  assert.equal(turns.current, 0);
  // Passing a turn one does not hold changes nothing.
  turns.pass(1);
  assert.equal(turns.current, 0);
  runnable.add(2);
  turns.pass(0);
  assert.equal(turns.current, 1);
  turns.pass(1);
  assert.equal(turns.current, 2);
  turns.pass(2);
  assert.equal(turns.current, 0);
  assert.deepEqual(granted, [0, 1, 0, 1, 2, 0]);
});

test("vcpu turns: parked while nobody can run, resumed after the last holder by a poke", () => {
  const turns = new VcpuTurns();
  const runnable = new Set([0]);
  const granted: number[] = [];
  members(turns, runnable, [0, 1, 2], granted);
  assert.equal(turns.holds(0), true);
  runnable.clear();
  turns.pass(0);
  assert.equal(turns.current, undefined, "parked");
  turns.poke();
  assert.equal(turns.current, undefined, "still nobody");
  // Both 0 and 2 woke together (one clock jump): 2 comes first, after the last holder 0.
  runnable.add(0).add(2);
  turns.poke();
  assert.equal(turns.current, 2);
  // A poke while someone holds the turn does not move it.
  runnable.add(1);
  turns.poke();
  assert.equal(turns.current, 2);
  assert.deepEqual(granted, [0, 2]);
});

test("vcpu turns: a vCPU that leaves hands its turn on and is never picked again", () => {
  const turns = new VcpuTurns();
  const runnable = new Set([0, 1]);
  const granted: number[] = [];
  members(turns, runnable, [0, 1], granted);
  assert.equal(turns.holds(0), true);
  turns.leave(0);
  assert.equal(turns.current, 1);
  turns.pass(1);
  assert.equal(turns.current, 1, "the only member left");
  turns.leave(1);
  assert.equal(turns.current, undefined);
  assert.equal(turns.holds(0), false);
});
