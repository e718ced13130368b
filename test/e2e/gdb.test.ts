// `gunyah run --gdb` against the real gdb-multiarch (Debian's, installed by .ci/run):
// the demo guest built with DWARF (guests/demo/build.sh with DEMO_DEBUG=1, whose
// code is byte-identical to the committed demo.bin), held before its first
// instruction with --gdb-wait: a breakpoint at a function, a variable, registers, a
// hardware watchpoint, a single step, continue to power-off.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { haveGdb, runGdb, startGunyah } from "./gdb-harness.js";

const root = resolve(import.meta.dirname, "..", "..");
const haveGcc = spawnSync("aarch64-linux-gnu-gcc", ["--version"]).status === 0;
const skip =
  (!haveGdb && "SKIPPED: no gdb-multiarch (.ci/run installs it)") ||
  (!haveGcc && "SKIPPED: no aarch64-linux-gnu-gcc");

test(
  "gdb-multiarch debugs the demo guest: break, print, registers, watch, step, run to power-off",
  { skip, timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "gunyah-gdb-"));
    const elf = join(dir, "demo.elf");
    const build = spawnSync("sh", [join(root, "guests/demo/build.sh"), dir], {
      env: { ...process.env, DEMO_DEBUG: "1", DEMO_ELF: elf },
    });
    assert.equal(build.status, 0, build.stderr.toString());
    assert.deepEqual(
      readFileSync(join(dir, "demo.bin")),
      readFileSync(join(root, "guests/demo/demo.bin")),
      "-g must not change the code gdb debugs",
    );

    const run = startGunyah(["run", "--gdb", "0", "--gdb-wait", "--timeout", "280"]);
    const port = await run.port;
    assert.ok(port > 0, run.stderr());
    const gdb = await runGdb([
      "-ex",
      `file ${elf}`,
      "-ex",
      `target remote 127.0.0.1:${port}`,
      "-ex",
      "info registers pc",
      "-ex",
      "break demo_main",
      "-ex",
      "continue",
      "-ex",
      "print demo_stage",
      "-ex",
      "info registers x19 sp",
      "-ex",
      "watch demo_stage",
      "-ex",
      "continue",
      "-ex",
      "print demo_stage",
      "-ex",
      "delete",
      "-ex",
      "stepi",
      "-ex",
      "x/2i $pc",
      "-ex",
      "continue",
    ]);
    const code = await run.done;
    const out = gdb.output;
    // Held before the first instruction, at the entry of the image.
    assert.match(out, /pc\s+0x40000000\s+0x40000000 <_start>/, out);
    assert.match(out, /Breakpoint 1, demo_main \(dtb=1075838976\) at main\.c/, out);
    assert.match(out, /\$1 = 0\n/, out);
    // _start keeps the device tree address in x19 and set sp to __stack_top - 48 by now.
    assert.match(out, /x19\s+0x40200000\s+1075838976/, out);
    assert.match(out, /Hardware watchpoint 2: demo_stage/, out);
    assert.match(out, /Old value = 0\nNew value = 1/, out);
    assert.match(out, /\$2 = 1\n/, out);
    assert.match(out, /=> 0x[0-9a-f]+ <[a-z_]+(\+\d+)?>:\t/, out);
    assert.match(out, /\[Inferior 1 \(Remote target\) exited normally\]/, out);
    assert.equal(code, 0, run.stderr());
    assert.match(run.stdout(), /demo: PSCI version 1\.1\r?\ndemo: powering off/);
  },
);

const assets = resolve(root, ".assets", "linux");
const kernel = join(assets, "Image");
const initrd = join(assets, "initramfs-test.cpio.gz");
const skipLinux =
  skip ||
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!existsSync(kernel) && "SKIPPED: no .assets/linux: run scripts/fetch-linux-assets.sh");

test(
  "gdb-multiarch interrupts Debian's running kernel, reads its registers and code, and continues to power-off",
  { skip: skipLinux, timeout: 30 * 60_000 },
  async () => {
    const run = startGunyah([
      ...["run", "--kernel", kernel, "--initrd", initrd, "--gdb", "0", "--timeout", "1700"],
      ...["--append", "console=ttyAMA0 panic=-1 cryptomgr.notests=1"],
    ]);
    const port = await run.port;
    assert.ok(port > 0, run.stderr());
    // Attaching stops the guest; `continue` lets it boot; once the kernel has printed
    // its banner gdb gets SIGINT (it sends Ctrl-C), then looks and lets it finish.
    let bannerAt = -1;
    const gdb = await runGdb(
      [
        "-ex",
        `target remote 127.0.0.1:${port}`,
        "-ex",
        "continue",
        "-ex",
        "info registers pc cpsr sp",
        "-ex",
        "x/4i $pc",
        "-ex",
        "info threads",
        "-ex",
        "continue",
      ],
      (out) => {
        // Attached (the first stop's frame is printed) and the kernel is booting.
        if (bannerAt < 0 && / in \?\? \(\)/.test(out) && /Linux version/.test(run.stdout()))
          bannerAt = Date.now();
        return bannerAt > 0 && Date.now() - bannerAt > 3000;
      },
      28 * 60_000,
    );
    const code = await run.done;
    const out = gdb.output;
    assert.match(out, /Program received signal SIGINT/, out);
    // The kernel runs at EL1 in its linear map or image (TTBR1 addresses).
    assert.match(out, /pc\s+0xffff[0-9a-f]{12}/, out);
    assert.match(out, /cpsr\s+0x[0-9a-f]+\s+\[.*EL=1/, out);
    assert.match(out, /=> 0xffff[0-9a-f]{12}:\t\S+/, out);
    assert.match(out, /\* 1\s+Thread 1/, out);
    assert.match(out, /\[Inferior 1 \(Remote target\) exited normally\]/, out);
    assert.equal(code, 0, run.stderr());
    assert.match(run.stdout(), /Linux version/);
  },
);
