import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_GUEST_PATH, parseMemorySize, validateConfig } from "../../src/vmm/config.js";
import { describeStartError } from "../../src/vmm/outcome.js";
import { nodeFiles } from "../../src/cli/files.js";

const MiB = 1 << 20;

test("memory sizes: suffixes K/M/G with optional iB, a bare number is MiB", () => {
  assert.equal(parseMemorySize("256M"), 256 * MiB);
  assert.equal(parseMemorySize("1G"), 1024 * MiB);
  assert.equal(parseMemorySize("512MiB"), 512 * MiB);
  assert.equal(parseMemorySize("65536k"), 64 * MiB);
  assert.equal(parseMemorySize("128"), 128 * MiB);
  for (const bad of ["", "abc", "1.5G", "-1M", "12T", "9".repeat(30)])
    assert.equal(parseMemorySize(bad), undefined, bad);
});

async function startError(config: Parameters<typeof validateConfig>[0]): Promise<string> {
  const r = await validateConfig(config, nodeFiles);
  assert.ok(!r.ok, "expected a start error");
  return describeStartError(r.error);
}

test("the default configuration is the demo guest, found from the package", async () => {
  const r = await validateConfig({}, nodeFiles);
  assert.ok(r.ok);
  assert.equal(r.value.kernelPath, DEMO_GUEST_PATH);
  assert.equal(r.value.kernel.format, "raw");
  assert.equal(r.value.cpus, 1);
  assert.equal(r.value.plan.entryOffset, 0);
});

test("bad options give one clear line each", async () => {
  assert.match(await startError({ memory: "lots" }), /^--memory: "lots" is not a size/);
  assert.match(await startError({ memory: "1M" }), /^--memory: must be between 4 MiB and 16 GiB/);
  assert.match(await startError({ memory: "17G" }), /^--memory: must be between/);
  assert.match(await startError({ memory: 5 * MiB + 1 }), /^--memory: must be a multiple of 4 KiB/);
  assert.match(await startError({ cpus: "0" }), /^--cpus: "0" is not a whole number from 1 to/);
  assert.match(await startError({ cpus: "2x" }), /^--cpus/);
  assert.match(await startError({ cpus: 500 }), /^--cpus/);
  assert.match(await startError({ timeoutSeconds: "-1" }), /^--timeout/);
  assert.match(await startError({ timeoutSeconds: "soon" }), /^--timeout/);
});

test("missing or empty files, and kernels that do not fit, are reported by path", async () => {
  assert.equal(
    await startError({ kernelPath: "/nonexistent/Image" }),
    "/nonexistent/Image: no such file",
  );
  assert.equal(await startError({ kernelPath: tmpdir() }), `${tmpdir()}: is a directory`);
  const dir = mkdtempSync(join(tmpdir(), "gunyah-cfg-"));
  const empty = join(dir, "empty");
  writeFileSync(empty, new Uint8Array(0));
  assert.equal(await startError({ kernelPath: empty }), "the kernel file is empty");
  assert.equal(
    await startError({ initrdPath: join(dir, "nope") }),
    `${join(dir, "nope")}: no such file`,
  );
  const big = join(dir, "big.bin");
  writeFileSync(big, new Uint8Array(5 * MiB));
  assert.match(
    await startError({ kernelPath: big, memory: "4M" }),
    /^the kernel needs 5\.0 MiB of guest memory but only 4\.0 MiB/,
  );
});

test("an initrd is placed after the device tree and recorded in the plan", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-cfg-"));
  const initrd = join(dir, "initrd.cpio");
  writeFileSync(initrd, new Uint8Array(1000).fill(1));
  const r = await validateConfig(
    { initrdPath: initrd, bootargs: "quiet", timeoutSeconds: "1.5" },
    nodeFiles,
  );
  assert.ok(r.ok);
  assert.equal(r.value.initrd?.length, 1000);
  assert.equal(r.value.bootargs, "quiet");
  assert.equal(r.value.timeoutSeconds, 1.5);
  assert.ok(
    r.value.plan.initrd &&
      r.value.plan.initrd.offset >= r.value.plan.dtb.offset + r.value.plan.dtb.size,
  );
});
