// The JIT's code cache stays bounded in a long run (issue 9: "a bounded code cache
// (memory stays bounded in a long run)"). A guest that rewrites a routine and calls it
// makes the tier compile a new module every time (threshold 0: one unit per module);
// V8 commits ~20 KB per module, so without a bound that counts it a process ran out of
// wasm code space after ~40,000 modules. With a small bound the tier must empty its
// cache many times, keep the live modules under the bound, and still compute exactly
// what the interpreter computes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, haveAssembler, SKIP_NO_AS, machine, x } from "./harness.js";
import { rewriterProgram } from "./rewriter.js";

const skip = !haveAssembler() && SKIP_NO_AS;
const ROUNDS = 400;
const CACHE_LIMIT = 256 << 10;

function runProgram(jit: false | { threshold: number; cacheLimit: number }) {
  const m = machine(assemble(rewriterProgram(ROUNDS)), { jit });
  const exit = m.cpu.run(10_000_000);
  assert.deepEqual([exit.kind, exit.kind === "hvc" ? exit.imm : -1], ["hvc", 0x77]);
  return m;
}

test(
  "rewritten code compiled round after round keeps the JIT's cache under its bound",
  { skip },
  () => {
    const interpreted = runProgram(false);
    const compiled = runProgram({ threshold: 0, cacheLimit: CACHE_LIMIT });
    const expected = BigInt((ROUNDS * (ROUNDS + 1)) / 2);
    assert.equal(x(interpreted, 0), expected);
    assert.equal(x(compiled, 0), expected, "the JIT computes what the interpreter does");
    assert.equal(compiled.cpu.instructionsRetired, interpreted.cpu.instructionsRetired);
    const stats = compiled.cpu.jitStats!;
    assert.ok(stats.units >= ROUNDS, `a unit per rewrite (${stats.units} units)`);
    assert.ok(stats.flushes >= 10, `the cache was emptied repeatedly (${stats.flushes} times)`);
    assert.ok(
      stats.modules * (20 << 10) <= CACHE_LIMIT,
      `live modules stay under the bound (${stats.modules})`,
    );
  },
);
