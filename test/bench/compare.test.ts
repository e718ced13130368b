// The benchmarks' comparison logic against failing sides: a reference that exits
// non-zero (a fake qemu-system-aarch64 first on PATH, failing the way a machine
// without ipxe-qemu did) or that exits 0 without its marker must void the ratio, be
// named with its stderr tail, and make `npm run bench` fail.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareWall, runCommandSide, type SideRun } from "../../bench/compare.js";
import { runBenches } from "../../bench/run.js";

function fakeOnPath(name: string, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-fake-"));
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return dir;
}

const FAIL = 'echo "qemu-system-aarch64: failed to find romfile \\"efi-virtio.rom\\"" >&2; exit 1';

const oursOk: SideRun = { name: "gunyah-ts", ok: true, wall: 10, stdout: Buffer.from("OK") };

test("a reference that exits 1 voids the ratio and is named with its stderr tail", async () => {
  const dir = fakeOnPath("qemu-system-aarch64", FAIL);
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  const reference = runCommandSide({
    name: "qemu-system-aarch64",
    command: "qemu-system-aarch64",
    args: ["-M", "virt"],
    marker: "GUNYAH-LINUX-OK",
    env,
  });
  assert.equal(reference.ok, false);
  const failures: string[] = [];
  const figures = compareWall("boot", oursOk, reference, failures);
  assert.ok(!Object.keys(figures).some((k) => k.includes("slower than")), "no ratio printed");
  assert.equal(figures["boot: qemu-system-aarch64 wall (s)"], "FAILED");
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /qemu-system-aarch64 exited with status 1/);
  assert.match(failures[0]!, /failed to find romfile "efi-virtio\.rom"/);
});

test("a reference that exits 0 without the marker voids the ratio", () => {
  const dir = fakeOnPath("qemu-system-aarch64", "echo booting; echo oops >&2; exit 0");
  const reference = runCommandSide({
    name: "qemu-system-aarch64",
    command: join(dir, "qemu-system-aarch64"),
    args: [],
    marker: "GUNYAH-LINUX-OK",
  });
  const failures: string[] = [];
  const figures = compareWall("boot", oursOk, reference, failures);
  assert.ok(!Object.keys(figures).some((k) => k.includes("slower than")));
  assert.match(failures[0]!, /without printing "GUNYAH-LINUX-OK"/);
  assert.match(failures[0]!, /oops/);
});

test("our own side failing voids the ratio too; both succeeding prints it", () => {
  const ref: SideRun = { name: "qemu", ok: true, wall: 2, stdout: Buffer.alloc(0) };
  const failures: string[] = [];
  const bad: SideRun = { ...oursOk, ok: false, failure: "gunyah-ts exited with status 2" };
  const voided = compareWall("boot", bad, ref, failures);
  assert.ok(!Object.keys(voided).some((k) => k.includes("slower than")));
  assert.deepEqual(failures, ["gunyah-ts exited with status 2"]);
  const good = compareWall("boot", oursOk, ref, []);
  assert.equal(good["boot: slower than qemu (x)"], 5);
});

test("npm run bench exits non-zero and names the failure when a comparison lost a side", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-bench-"));
  const fake = fakeOnPath("qemu-system-aarch64", FAIL);
  const compare = join(import.meta.dirname, "../../bench/compare.ts");
  writeFileSync(
    join(dir, "fake.bench.ts"),
    `import { compareWall, runCommandSide } from ${JSON.stringify(compare)};
export async function bench() {
  const failures: string[] = [];
  const ref = runCommandSide({ name: "qemu-system-aarch64", command: ${JSON.stringify(join(fake, "qemu-system-aarch64"))}, args: [], marker: "X" });
  const ours = { name: "gunyah-ts", ok: true, wall: 1, stdout: Buffer.from("X") };
  return { figures: compareWall("boot", ours, ref, failures), failures };
}
`,
  );
  const lines: string[] = [];
  const failed = await runBenches(dir, [], (l) => lines.push(l));
  const out = lines.join("\n");
  assert.equal(failed, 1);
  assert.doesNotMatch(out, /slower than/);
  assert.match(out, /fake: FAILED: qemu-system-aarch64 exited with status 1/);
  assert.match(out, /efi-virtio\.rom/);
});

test("a command side reports the CPU seconds its process used", () => {
  const side = runCommandSide({
    name: "busy shell",
    command: "sh",
    args: ["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo DONE"],
    marker: "DONE",
  });
  assert.equal(side.ok, true, side.failure);
  assert.ok(side.cpu !== undefined && side.cpu > 0.05, `cpu ${side.cpu}`);
});
