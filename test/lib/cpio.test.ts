import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeCpio } from "../../src/lib/cpio.js";

const enc = new TextEncoder();
const sample = writeCpio([
  { kind: "dir", path: "bin" },
  { kind: "file", path: "init", data: enc.encode("#!/bin/sh\necho hi\n"), mode: 0o755 },
  { kind: "symlink", path: "bin/sh", target: "busybox" },
  { kind: "char", path: "dev/console", major: 5, minor: 1 },
]);

test("newc headers are 110 bytes, 4-byte aligned, and end with the trailer", () => {
  const text = new TextDecoder("latin1").decode(sample);
  assert.equal(text.slice(0, 6), "070701");
  assert.equal(sample.length % 4, 0);
  assert.match(text, /TRAILER!!!\0/);
  // The second header starts 4-byte aligned after "bin\0" (110 + 4 = 114 -> 116).
  assert.equal(text.slice(116, 122), "070701");
});

test("GNU cpio lists and reads back what we wrote", (t) => {
  const list = spawnSync("cpio", ["-itv", "--quiet"], { input: sample });
  if (list.error) {
    t.skip("cpio is not installed (.ci/run installs it)");
    return;
  }
  const out = list.stdout.toString();
  assert.match(out, /^drwxr-xr-x .* bin$/m);
  assert.match(out, /^-rwxr-xr-x .* init$/m);
  assert.match(out, /^lrwxrwxrwx .* bin\/sh -> busybox$/m);
  assert.match(out, /^crw------- .* 5,\s+1 .* dev\/console$/m);
  const body = spawnSync("cpio", ["-i", "--to-stdout", "--quiet", "init"], { input: sample });
  assert.equal(body.stdout.toString(), "#!/bin/sh\necho hi\n");
});

test("absolute and empty paths are refused", () => {
  assert.throws(() => writeCpio([{ kind: "dir", path: "/etc" }]), /bad entry path/);
  assert.throws(() => writeCpio([{ kind: "dir", path: "" }]), /bad entry path/);
});
