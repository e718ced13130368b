// GUNYAH_BENCH_WORKLOADS selects the Linux benchmark's workloads by label, so the
// 2-vCPU boot can be measured alone; an unknown label is named, never ignored.

import { test } from "node:test";
import assert from "node:assert/strict";
import { selectWorkloads } from "../../bench/linux.bench.js";

const labels = (spec: string | undefined) => {
  const r = selectWorkloads(spec);
  return "unknown" in r ? `unknown ${r.unknown}` : r.workloads.map((w) => w.label).join(",");
};

test("unset or empty runs every workload in order", () => {
  assert.equal(labels(undefined), "boot,smp");
  assert.equal(labels(" "), "boot,smp");
});

test("a list selects those workloads only, in the benchmark's order", () => {
  assert.equal(labels("smp"), "smp");
  assert.equal(labels("smp, boot"), "boot,smp");
  assert.equal(labels("boot"), "boot");
});

test("an unknown label is reported", () => {
  assert.equal(labels("smp,smpp"), "unknown smpp");
  assert.equal(labels("SMP"), "unknown SMP");
});
