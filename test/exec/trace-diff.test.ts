// tools/trace-diff.ts in lock step with qemu-aarch64: a small program matches at every
// instruction, and a CPU broken on purpose is caught at exactly the instruction where
// it goes wrong (the lock-step runs under both CPU tiers, tiers.ts). Also: the loader's stack and address layout equal QEMU's byte for byte.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { defaultCpuFactory } from "../../src/exec/index.js";
import type { CpuFactory } from "../../src/exec/index.js";
import { formatReport, traceDiff } from "../../tools/trace-diff.js";
import { forEachTier } from "../tiers.js";
import { buildDir, buildGuests, busybox, missingTools, ours, qemu } from "./reference.js";

const skip = missingTools();
if (!skip) buildGuests();
const program = path.join(buildDir, "jumps.O2");

forEachTier((tier, run) => {
  test(
    `trace-diff: a real program matches QEMU at every instruction (${tier})`,
    { skip },
    async () => {
      const report = await run(() => traceDiff({ program, limit: 60_000 }));
      assert.equal(report.divergence, undefined, formatReport(report));
      assert.equal(report.compared, 60_000);
      assert.ok(
        report.notes.some((n) => n.includes("system-register read")),
        "MIDR is synchronised",
      );
    },
  );

  test(
    `trace-diff: busybox sort runs in lock step with QEMU to its exit (${tier})`,
    { skip: skip ?? missingTools(true) },
    async () => {
      const input = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "trace-diff-")), "input.txt");
      fs.writeFileSync(input, "pear\napple\nfig\n");
      const report = await run(() => traceDiff({ program: busybox, args: ["sort", input] }));
      assert.equal(report.divergence, undefined, formatReport(report));
      assert.ok(report.compared > 5000);
      assert.ok(
        report.notes.some((n) => n.includes("getrandom")),
        "malloc's tcache key is synchronised",
      );
    },
  );
});

test(
  "trace-diff: a wrong result is reported at the instruction that produced it",
  { skip },
  async () => {
    const breakAt = 5000;
    const broken: CpuFactory = (options) => {
      const cpu = defaultCpuFactory(options);
      const run = cpu.run.bind(cpu);
      let steps = 0;
      cpu.run = (budget) => {
        const exit = run(budget);
        steps += 1;
        if (steps === breakAt) cpu.setX(7, cpu.getX(7) ^ 0x40n);
        return exit;
      };
      return cpu;
    };
    const report = await traceDiff({ program, limit: 20_000, createCpu: broken });
    assert.ok(report.divergence, formatReport(report));
    assert.equal(report.divergence.index, breakAt, formatReport(report));
    assert.deepEqual(
      report.divergence.fields.map((f) => f.name),
      ["X07"],
    );
    assert.match(
      formatReport(report),
      /FIRST DIVERGENCE after instruction #4999 at 0x[0-9a-f]+: [0-9a-f]{8}/,
    );
  },
);

test("trace-diff: FP/AdvSIMD state is compared too (Q registers, FPSR)", { skip }, async () => {
  const breakAt = 3000;
  const broken: CpuFactory = (options) => {
    const cpu = defaultCpuFactory(options);
    const run = cpu.run.bind(cpu);
    let steps = 0;
    cpu.run = (budget) => {
      const exit = run(budget);
      if (++steps === breakAt) cpu.vregs[5 * 16 + 9] = (cpu.vregs[5 * 16 + 9] ?? 0) ^ 1;
      return exit;
    };
    return cpu;
  };
  const report = await traceDiff({
    program: path.join(buildDir, "float.O3"),
    limit: 10_000,
    createCpu: broken,
  });
  assert.ok(report.divergence, formatReport(report));
  assert.equal(report.divergence.index, breakAt);
  assert.deepEqual(
    report.divergence.fields.map((f) => f.name),
    ["Q05"],
  );
});

test("the initial stack, auxv, brk and mmap base equal qemu-aarch64's", { skip }, async () => {
  const probe = path.join(buildDir, "probe-stack-dump");
  const args = ["one", "two words", ""];
  const expected = await qemu(probe, args);
  const mine = ours(probe, args);
  assert.equal(mine.status, 0);
  assert.equal(mine.stdout.toString(), expected.stdout.toString());
});
