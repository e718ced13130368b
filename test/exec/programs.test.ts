// The C programs of guests/tests (five builds each) under gunyah exec must print
// exactly what they print under qemu-aarch64 and exit with the same status, under
// both CPU tiers (tiers.ts); the JIT tier runs the -O3 and -O3-v81 builds (two of the
// five) to keep the suite's time within twice the interpreter's.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { forEachTier } from "../tiers.js";
import { buildDir, buildGuests, missingTools, ours, qemu, traceDiffHint } from "./reference.js";

const skip = missingTools();
if (!skip) buildGuests();
const programs = skip
  ? []
  : fs
      .readdirSync(buildDir)
      .filter((f) => /\.O[23](-v81|-pie)?$/.test(f))
      .sort();

test("the guest programs were built", { skip }, () => {
  assert.ok(programs.length >= 45, `only ${programs.length} programs in ${buildDir}`);
});

// Start every QEMU reference run now: they proceed while our CPU runs the others.
const references = new Map(programs.map((p) => [p, qemu(path.join(buildDir, p), [])]));

forEachTier((tier, run) => {
  const names = tier === "jit" ? programs.filter((p) => /\.O3(-v81)?$/.test(p)) : programs;
  for (const name of names) declare(name, tier, run);
});

function declare(name: string, tier: string, run: <T>(body: () => T) => T): void {
  test(`${name}: same output and exit status as qemu-aarch64 (${tier})`, { skip }, async () => {
    const program = path.join(buildDir, name);
    const mine = run(() => ours(program, []));
    const reference = await references.get(name);
    assert.ok(reference);
    const hint = traceDiffHint(program, []);
    assert.equal(mine.stdout.toString("latin1"), reference.stdout.toString("latin1"), hint);
    assert.equal(mine.status, reference.status, hint);
    assert.equal(mine.stderr, reference.stderr, "nothing on stderr but what QEMU prints");
  });
}
