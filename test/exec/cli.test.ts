// `gunyah exec` as a command: the program's exit status becomes the command's, --trace
// writes QEMU's `-d cpu` record layout, --max-instructions stops with 124, and a file
// that is not a static AArch64 program is refused with 126 and a clear message.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { buildDir, buildGuests, missingTools, QEMU_CPU, root } from "./reference.js";

const skip = missingTools();
if (!skip) buildGuests();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-exec-cli-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = path.join(root, "test/exec/fixtures/gunyah-exec.ts");

function gunyahExec(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", entry, "exec", ...args], {
    cwd: root,
    encoding: "latin1",
    env: { PATH: process.env.PATH ?? "" },
  });
}

test("the program's exit status and output pass through", { skip }, () => {
  const r = gunyahExec(path.join(buildDir, "int_arith.O2"));
  assert.equal(r.status, 62);
  assert.match(r.stdout, /^edge mix [0-9a-f]{16}\n/);
});

test(
  "program arguments after the program name are the program's, options included",
  { skip },
  () => {
    const r = gunyahExec(path.join(buildDir, "hash.O3"), "0x100");
    assert.match(r.stdout, /sha256\(data\[256\]\)/);
  },
);

test("--max-instructions stops the program with status 124", { skip }, () => {
  const r = gunyahExec("--max-instructions", "1000", path.join(buildDir, "jumps.O2"));
  assert.equal(r.status, 124);
  assert.match(r.stderr, /stopped after 1000 instructions/);
});

test("a file that is not a static AArch64 program is refused with 126", () => {
  const r = gunyahExec(path.join(root, "package.json"));
  assert.equal(r.status, 126);
  assert.match(r.stderr, /not an ELF file/);
  const missing = gunyahExec(path.join(dir, "nope"));
  assert.equal(missing.status, 126);
  assert.match(missing.stderr, /cannot read/);
});

test("--trace writes qemu-aarch64's -d cpu records", { skip }, () => {
  // A small program: QEMU's log of it is about 8,000 records (7 MB).
  const program = path.join(buildDir, "probe-auxv-random");
  const ourLog = path.join(dir, "ours.log");
  const qemuLog = path.join(dir, "qemu.log");
  const r = gunyahExec("--trace", ourLog, "--max-instructions", "300", program);
  assert.equal(r.status, 124);
  spawnSync(
    "qemu-aarch64",
    ["-cpu", "cortex-a57", "-singlestep", "-d", "cpu", "-D", qemuLog, program],
    {
      env: { PATH: process.env.PATH ?? "" },
    },
  );
  const mine = fs.readFileSync(ourLog, "latin1").split(/(?= PC=)/);
  const theirs = fs.readFileSync(qemuLog, "latin1").split(/(?= PC=)/);
  assert.equal(mine.length, 300);
  // QEMU starts with Z set in PSTATE where Linux starts with NZCV clear: until the first
  // flag-setting instruction the PSTATE lines differ by exactly that.
  let same = 0;
  for (let i = 0; i < mine.length; i++) {
    const a = mine[i] ?? "";
    const b = (theirs[i] ?? "").replace("PSTATE=40000000 -Z--", "PSTATE=00000000 ----");
    if (a !== b) break;
    same++;
  }
  assert.ok(same >= 100, `only ${same} identical records:\n${mine[same]}\nvs\n${theirs[same]}`);
  assert.match(mine[0] ?? "", /^ PC=0{10}[0-9a-f]{6} X00=0{16} X01=0{16}\nX02=/);
  assert.ok(QEMU_CPU.length > 0);
});

test("output redirected to a file continues at the shell's offset", { skip }, () => {
  const out = path.join(dir, "redirect.txt");
  const command = `{ echo first; "${process.execPath}" --import tsx "${entry}" exec "${path.join(buildDir, "hash.O2")}" 64; echo last; } > "${out}"`;
  const r = spawnSync("sh", ["-c", command], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const lines = fs.readFileSync(out, "utf8").split("\n");
  assert.equal(lines[0], "first");
  assert.match(lines[1] ?? "", /^sha256\(abc\) = ba7816bf/);
  assert.equal(lines[5], "last");
});
