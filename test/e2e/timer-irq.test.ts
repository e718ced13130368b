// The IRQ line follows the vGIC and generic-timer state at every instruction boundary
// where that state changes, and a guest spinning on the virtual timer never reads a
// spurious INTID: guests/timer-irq (bare metal, C) prints what it observes, and it
// must print the same under gunyah run as under qemu-system-aarch64 (virt, GICv3,
// cortex-a57), the reference, under both CPU tiers (test/tiers.ts). The committed
// binary must match a fresh build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { gunyahRunIn, TIERS, type Tier } from "../tiers.js";

const dir = join(import.meta.dirname, "..", "..", "guests", "timer-irq");
const committed = join(dir, "timer-irq.bin");
const haveCross = spawnSync("aarch64-linux-gnu-gcc", ["--version"]).status === 0;
const haveQemu = spawnSync("qemu-system-aarch64", ["--version"]).status === 0;

/** Builds the guest into a fresh directory; returns the raw image and the ELF. */
function build(): { bin: string; elf: string } {
  const out = mkdtempSync(join(tmpdir(), "gunyah-timer-irq-"));
  const elf = join(out, "timer-irq.elf");
  const r = spawnSync("sh", [join(dir, "build.sh"), out], {
    encoding: "utf8",
    env: { ...process.env, TIMER_IRQ_ELF: elf },
  });
  assert.equal(r.status, 0, r.stderr);
  return { bin: join(out, "timer-irq.bin"), elf };
}

const lines = (s: string) => s.replace(/\r\n/g, "\n");

/** The guest's console under `gunyah run` with the CPU forced to `tier` (test/tiers.ts). */
async function runOurs(kernel: string, tier: Tier): Promise<string> {
  const r = await gunyahRunIn(
    tier,
    ["run", "--kernel", kernel, "--timeout", "100"],
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
  assert.equal(r.code, 0, r.stderr);
  return lines(r.stdout);
}

function runQemu(elf: string): string {
  const q = spawnSync(
    "qemu-system-aarch64",
    ["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "64", "-nodefaults"]
      .concat(["-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"])
      .concat(["-kernel", elf]),
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(q.status, 0, `qemu: ${q.stderr}`);
  return lines(q.stdout);
}

test(
  "build.sh reproduces the committed timer-irq.bin byte for byte",
  { skip: !haveCross && "no aarch64-linux-gnu-gcc" },
  () => {
    const { bin } = build();
    assert.ok(
      readFileSync(bin).equals(readFileSync(committed)),
      "guests/timer-irq/timer-irq.bin is stale: run guests/timer-irq/build.sh and commit it",
    );
  },
);

for (const tier of TIERS)
  test(
    `timer-irq under gunyah run: the line follows every change, no spurious IAR reads (${tier})`,
    {
      timeout: 120_000,
    },
    async () => {
      const out = await runOurs(committed, tier);
      assert.match(out, /timer-irq: done\n/);
      assert.match(out, /timer IMASK set: line=0 hppir=1023\n/);
      assert.match(out, /timer masked, then EOIR1: line=0 hppir=1023\n/);
      assert.match(out, /timer IRQs taken=20\n/);
      assert.match(out, /spurious IAR1 reads=0\n/);
      assert.match(out, /timeouts=0\n/);
    },
  );

test(
  "timer-irq prints the same under gunyah run (both CPU tiers) and qemu-system-aarch64",
  {
    timeout: 120_000,
    skip: (!haveCross || !haveQemu) && "needs aarch64-linux-gnu-gcc and qemu-system-aarch64",
  },
  async () => {
    const { bin, elf } = build();
    const reference = runQemu(elf);
    assert.match(reference, /timer-irq: done\n/, "QEMU ran the guest to the end");
    for (const tier of TIERS) assert.equal(await runOurs(bin, tier), reference, tier);
  },
);
