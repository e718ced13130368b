// A guest kernel's own use of the self-hosted debug architecture: Debian's arm64 Linux
// with an initramfs whose /init (guests/ptrace-debug/init.c, built here) traces a
// child with ptrace: a hardware breakpoint, a hardware watchpoint (which the kernel
// steps over with MDSCR_EL1.SS) and PTRACE_SINGLESTEP. gunyah-ts must print the same
// lines as qemu-system-aarch64 running the same kernel and initramfs, under both CPU
// tiers (test/tiers.ts; one QEMU run, two boots here: the JIT steps aside only while
// the kernel has a debug event armed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import { gunyahRunIn, TIERS } from "../tiers.js";

const root = resolve(import.meta.dirname, "..", "..");
const kernel = join(root, ".assets", "linux", "Image");
const have = (cmd: string) => spawnSync(cmd, ["--version"]).status === 0;
const skip =
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!existsSync(kernel) && "SKIPPED: no .assets/linux: run scripts/fetch-linux-assets.sh") ||
  (!have("aarch64-linux-gnu-gcc") && "SKIPPED: no aarch64-linux-gnu-gcc") ||
  (!have("qemu-system-aarch64") && "SKIPPED: no qemu-system-aarch64") ||
  (!have("cpio") && "SKIPPED: no cpio");

const APPEND = "console=ttyAMA0 panic=-1 cryptomgr.notests=1";

function lines(out: string): string[] {
  return out
    .replace(/\r/g, "")
    .split("\n")
    .filter((l) => l.startsWith("ptrace-debug:"));
}

test(
  "ptrace's hardware breakpoint, watchpoint and single step in Linux match QEMU (both CPU tiers)",
  { skip, timeout: 30 * 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "gunyah-ptrace-"));
    const b = spawnSync("sh", [join(root, "guests/ptrace-debug/build.sh"), dir], {
      encoding: "utf8",
    });
    assert.equal(b.status, 0, b.stderr);
    const initrd = join(dir, "ptrace-debug.cpio.gz");
    const q = spawnSync(
      "qemu-system-aarch64",
      [
        ...["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "512", "-nodefaults"],
        ...["-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"],
        ...["-kernel", kernel, "-initrd", initrd, "-append", APPEND],
      ],
      { encoding: "latin1", timeout: 300_000 },
    );
    const theirs = lines(q.stdout);
    assert.ok(theirs.includes("ptrace-debug: done"), q.stdout.slice(-2000));

    for (const tier of TIERS) {
      const args = ["run", "--kernel", kernel, "--initrd", initrd, "--append", APPEND];
      const r = await gunyahRunIn(
        tier,
        [...args, "--memory", "512M", "--timeout", "1700"],
        async (argv) => {
          let stdout = "";
          let stderr = "";
          const decoder = new TextDecoder();
          const code = await main(argv, {
            stdout: (d) =>
              void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
            stderr: (t) => void (stderr += t),
            stdin: undefined,
            onInterrupt: undefined,
          });
          return { code, stdout, stderr };
        },
      );
      assert.equal(r.code, 0, `${tier}: ${r.stderr}\n${r.stdout.slice(-3000)}`);
      assert.deepEqual(lines(r.stdout), theirs, tier);
    }
    // Not vacuous: a breakpoint (TRAP_HWBKPT), a watchpoint and four steps (TRAP_TRACE).
    assert.equal(theirs.filter((l) => / code 4 /.test(l)).length, 2);
    assert.equal(theirs.filter((l) => /step: signal 5 code 2 /.test(l)).length, 4);
  },
);
