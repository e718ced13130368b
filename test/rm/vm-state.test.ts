// The VM status transition table, checked exhaustively against section 3's list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_VM_STATUSES, canEnter } from "../../src/rm/vm-state.js";
import { VmStatus as S } from "../../src/rm/protocol/index.js";

// "Allowed transitions" of gunyah-abi.md section 3, written out as pairs (from -> to).
const ALLOWED: [number, number][] = [
  [S.NONE, S.LOAD],
  [S.LOAD, S.AUTH],
  [S.RESET, S.AUTH],
  [S.LOAD, S.INIT],
  [S.AUTH, S.INIT],
  [S.RESET, S.INIT],
  [S.INIT, S.READY],
  [S.READY, S.RUNNING],
  [S.PAUSED, S.RUNNING],
  [S.RUNNING, S.PAUSED],
  [S.INIT, S.INIT_FAILED],
  [S.READY, S.INIT_FAILED],
  [S.LOAD, S.INIT_FAILED],
  [S.AUTH, S.INIT_FAILED],
  [S.RESET, S.INIT_FAILED],
  [S.RUNNING, S.EXITED],
  [S.PAUSED, S.EXITED],
  [S.EXITED, S.RESETTING],
  [S.READY, S.RESETTING],
  [S.INIT_FAILED, S.RESETTING],
  [S.RESETTING, S.RESET],
  [S.RESET, S.NONE],
];

test("vm-state: every (from, to) pair matches the reference list", () => {
  assert.equal(ALL_VM_STATUSES.length, 11);
  for (const from of ALL_VM_STATUSES)
    for (const to of ALL_VM_STATUSES) {
      const expected = ALLOWED.some(([f, t]) => f === from && t === to);
      assert.equal(canEnter(from, to), expected, `${from} -> ${to}`);
    }
});
