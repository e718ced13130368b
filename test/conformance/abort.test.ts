// Fidelity item 1: an access to an IPA with nothing behind it is a synchronous
// external abort that the guest's own handler takes (as on hardware, KVM and QEMU),
// not the end of the VM. guests/conformance/abort.c prints every syndrome; QEMU's
// cortex-a57 is the reference, for both CPU tiers (test/tiers.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOnGunyah, runOnQemu, skipReason } from "./harness.js";
import { TIERS } from "../tiers.js";

const limits = { timeout: 120_000, skip: skipReason };

const reference = () => {
  const q = runOnQemu("abort");
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /abort: done\n$/, "the reference run completes");
  return q;
};
let qemu: ReturnType<typeof runOnQemu> | undefined;

for (const tier of TIERS)
  test(
    `loads, stores, pairs, writeback, branches and EL0 loads to nothing: same aborts as QEMU (${tier})`,
    limits,
    async () => {
      const q = (qemu ??= reference());
      const g = await runOnGunyah("abort", ["--verbose"], tier);
      assert.equal(g.code, 0, g.stderr);
      assert.equal(g.stdout, q.stdout);
      // The architecture's fields, spelled out: EC 0x25 (current-EL data abort), IL,
      // DFSC 0b010000 (synchronous external abort), EA 0 (QEMU's decode error), FnV 0.
      assert.match(g.stdout, /^ldr w: ESR 0x96000010 FAR 0x44000000 ELR at the access$/m);
      assert.match(g.stdout, /^str x: ESR 0x96000050 FAR 0x44000010/m, "WnR for a store");
      assert.match(g.stdout, /^blr: ESR 0x86000010 FAR 0x44000080/m, "EC 0x21, IFSC 0b010000");
      assert.match(g.stdout, /^el0 ldr w: ESR 0x92000010/m, "EC 0x24 from EL0");
      assert.match(g.stdout, /aborts taken in a loop: 2000/);
      // The VMM logs each (rate-limited: 2,000 aborts, a handful of lines) and runs on.
      const logged = g.stderr.split("\n").filter((l) => /external abort injected/.test(l));
      assert.ok(logged.length >= 1 && logged.length <= 20, `${logged.length} log lines`);
    },
  );

test(
  "--on-unbacked stop keeps the old verdict: the VM stops at the first access",
  limits,
  async () => {
    const g = await runOnGunyah("abort", ["--on-unbacked", "stop"]);
    assert.equal(g.code, 2);
    assert.match(g.stderr, /vCPU 0 accessed 0x44000000, which is neither RAM nor a device/);
    assert.doesNotMatch(g.stdout, /ldr w: ESR/);
  },
);

test("--on-unbacked refuses other values", { timeout: 30_000 }, async () => {
  const g = await runOnGunyah("abort", ["--on-unbacked", "ignore"]).catch((e: unknown) => ({
    code: -1,
    stdout: "",
    stderr: String(e),
  }));
  assert.equal(g.code, 1);
  assert.match(g.stderr, /--on-unbacked: "ignore" is not one of: fault, stop/);
});
