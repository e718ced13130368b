// `npm run bench -- <module> --profile`: options are told from module filters, an
// unknown option is refused, and a real V8 CPU profile of real work is summarised by
// function self time and by layer (a script under src/<layer>/ belongs to that layer).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../../bench/run.js";
import {
  disableProfiling,
  enableProfiling,
  layerOf,
  profiled,
  summarize,
  type CpuProfile,
} from "../../bench/profile.js";
import { createFdt, parseFdt, serializeFdt } from "../../src/lib/fdt.js";

test("bench arguments: `--` options are not module filters; an unknown option is refused", () => {
  assert.deepEqual(parseArgs(["linux", "--profile"]), { filters: ["linux"], profile: true });
  assert.deepEqual(parseArgs(["cpu"]), { filters: ["cpu"], profile: false });
  assert.match(parseArgs(["--frobnicate"]).error ?? "", /unknown option --frobnicate/);
});

test("layers come from the src/<layer>/ folder of the script", () => {
  assert.equal(layerOf("file:///w/src/arch/arm64/interp.ts", "execute"), "arch");
  assert.equal(layerOf("file:///w/src/hyp/vgic/gic.ts", "highest"), "hyp");
  assert.equal(layerOf("file:///w/src/vmm/pl011.ts", "write"), "vmm");
  assert.equal(layerOf("node:internal/timers", "listOnTimeout"), "(node)");
  assert.equal(layerOf("", "(garbage collector)"), "(gc)");
});

test("self time is charged to the sampled node and summed per function and layer", () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", "") },
      { id: 2, callFrame: frame("execute", "file:///w/src/arch/arm64/interp.ts") },
      { id: 3, callFrame: frame("highest", "file:///w/src/hyp/vgic/gic.ts") },
      { id: 4, callFrame: frame("execute", "file:///w/src/arch/arm64/interp.ts") },
    ],
    samples: [2, 3, 4, 2],
    timeDeltas: [1000, 3000, 2000, 4000],
  };
  const s = summarize(profile);
  assert.equal(s.totalMs, 10);
  assert.deepEqual(s.functions[0], {
    name: "execute",
    where: "src/arch/arm64/interp.ts:10",
    layer: "arch",
    ms: 7,
  });
  assert.deepEqual(s.layers, [
    { layer: "arch", ms: 7 },
    { layer: "hyp", ms: 3 },
  ]);
});

test("profiled() writes a loadable profile of the work and prints its summary", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-profile-"));
  const printed: string[] = [];
  enableProfiling(dir, (l) => printed.push(l));
  try {
    const sum = await profiled("unit", async () => {
      const blob = serializeFdt(createFdt());
      let parsed = 0;
      const until = performance.now() + 300;
      while (performance.now() < until) if (parseFdt(blob).ok) parsed++;
      return parsed;
    });
    assert.equal(typeof sum, "number");
  } finally {
    disableProfiling();
  }
  assert.deepEqual(readdirSync(dir), ["unit.cpuprofile"]);
  const profile = JSON.parse(readFileSync(join(dir, "unit.cpuprofile"), "utf8")) as CpuProfile;
  const s = summarize(profile);
  assert.ok(s.totalMs > 100, `sampled ${s.totalMs} ms`);
  assert.ok(
    s.layers.some((l) => l.layer === "lib" && l.ms > 0),
    "src/lib's FDT parser shows up as the lib layer",
  );
  assert.match(printed.join("\n"), /self time by layer:[\s\S]*top 25 functions by self time/);
});
