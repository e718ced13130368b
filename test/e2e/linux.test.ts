// The project's goal, end to end: Debian's stock arm64 Linux through every gunyah-ts
// layer to a busybox /init that powers off. It runs whenever the assets are there
// (.ci/run fetches them with scripts/fetch-linux-assets.sh); GUNYAH_E2E_LINUX=0 skips
// it on a machine where a minute or more of CPU is too much.
//
// It boots once per CPU tier, each forced explicitly (test/tiers.ts) so the test keeps
// its meaning whichever tier is the default: `--no-jit` with GUNYAH_JIT=0, and the JIT
// compiling every block on first sight (GUNYAH_JIT_THRESHOLD=0). Both must boot, and
// then print the same console bytes (the kernel's timestamps come from the guest clock,
// which is the instruction count, so they are compared too) and retire the same number
// of instructions (`--stats`). It does so with 1 vCPU and with 2: with two, the host's
// deterministic turns (src/host/functions/vcpu-turns.ts) make the interleaving a
// function of the guest, so the bytes and the count must still match (measured:
// 343,864,917 instructions both ways since a WFE ends the slice when the other vCPU
// could run (352,584,147 before); two interpreter boots also agreed, 374,564,214
// each, when vcpu_run slices were 200,000 instructions).
// GUNYAH_E2E_LINUX_CPUS=n boots n vCPUs only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import { TIERS, underTier, type Tier } from "../tiers.js";

const assets = resolve(import.meta.dirname, "..", "..", ".assets", "linux");
const kernel = join(assets, "Image");
const initrd = join(assets, "initramfs-test.cpio.gz");
const cpuCounts = process.env.GUNYAH_E2E_LINUX_CPUS
  ? [process.env.GUNYAH_E2E_LINUX_CPUS]
  : ["1", "2"];
const skip =
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!existsSync(kernel) &&
    "SKIPPED: no .assets/linux: run `node bin/gunyah.js fetch --dir .assets`");

interface Boot {
  readonly console: Buffer;
  /** `--stats`' total of instructions retired over every vCPU. */
  readonly instructions: number;
  /** `--stats`' share of them that ran compiled, in percent (undefined: no JIT tier). */
  readonly compiledPercent: number | undefined;
}

/** Completed boots by `${cpus} ${tier}`. */
const boots = new Map<string, Boot>();

async function boot(tier: Tier, cpus: string): Promise<Boot> {
  const chunks: Buffer[] = [];
  let stderr = "";
  const args = [
    "run",
    "--kernel",
    kernel,
    "--initrd",
    initrd,
    "--append",
    "console=ttyAMA0 panic=-1 cryptomgr.notests=1",
    "--cpus",
    cpus,
    "--timeout",
    "1700",
    // The vRTC would start at the host's clock, which Linux prints: one fixed time.
    "--rtc-base",
    "2026-01-02T03:04:05Z",
    "--stats",
    ...(tier === "interpreter" ? ["--no-jit"] : []),
  ];
  const code = await underTier(tier, () =>
    main(args, {
      stdout: (d) => void chunks.push(Buffer.from(d)),
      stderr: (t) => void (stderr += t),
      stdin: undefined,
      onInterrupt: undefined,
    }),
  );
  const out = Buffer.concat(chunks);
  assert.equal(code, 0, `${stderr}\n${out.subarray(-3000).toString()}`);
  const total = /stats: total: ([\d,]+) instructions/.exec(stderr);
  assert.ok(total?.[1], `--stats printed the total:\n${stderr}`);
  const compiled = /stats: jit: ([\d.]+)% of instructions compiled/.exec(stderr);
  return {
    console: out,
    instructions: Number(total[1].replaceAll(",", "")),
    compiledPercent: compiled?.[1] !== undefined ? Number(compiled[1]) : undefined,
  };
}

for (const cpus of cpuCounts) {
  for (const tier of TIERS) bootTest(tier, cpus);
  compareTest(cpus);
}

function bootTest(tier: Tier, cpus: string): void {
  test(
    `Debian's arm64 Linux boots to busybox /init and powers off: exit 0 (${tier}, ${cpus} vCPU)`,
    { skip, timeout: 30 * 60_000 },
    async () => {
      const b = await boot(tier, cpus);
      const stdout = b.console.toString("utf8");
      assert.match(stdout, /Machine model: gunyah-ts virtual machine/);
      // Every vCPU came up (PSCI CPU_ON through the hypervisor).
      const n = Number(cpus);
      assert.match(
        stdout,
        new RegExp(`smp: Brought up 1 node, ${n} CPU${n > 1 ? "s" : ""}\\r?\\n`),
      );
      assert.match(stdout, /ttyAMA0 at MMIO 0x9000000/);
      // The PMUv3 (src/arch/arm64/pmu.ts, the DT's arm,armv8-pmuv3 node): Linux's driver
      // probes it as on QEMU's cortex-a57, six event counters plus the cycle counter.
      assert.match(
        stdout,
        /hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 counters available/,
      );
      // The hypervisor's vRTC: Linux's rtc-pl031 probes the RM's /vsoc/vrtc node (an
      // AMBA device: its PrimeCell IDs are read from the hypervisor) and sets the time.
      assert.match(
        stdout,
        /rtc-pl031 9010000\.vrtc: setting system clock to 2026-01-02T03:04:\d\d UTC/,
      );
      assert.match(stdout, /Run \/init as init process/);
      assert.match(stdout, /GUNYAH-LINUX-OK/);
      assert.match(stdout, /reboot: Power down/);
      // The run really was in the tier it names: no JIT at all, or nearly all compiled
      // (measured: 98.7 % of the 1-vCPU boot at threshold 0).
      if (tier === "interpreter") assert.equal(b.compiledPercent, undefined);
      else assert.ok((b.compiledPercent ?? 0) > 90, `compiled ${b.compiledPercent}%`);
      boots.set(`${cpus} ${tier}`, b);
    },
  );
}

function compareTest(cpus: string): void {
  test(
    `both tiers print the same console bytes and retire the same instructions (${cpus} vCPU)`,
    { skip },
    (t) => {
      const a = boots.get(`${cpus} interpreter`);
      const b = boots.get(`${cpus} jit`);
      assert.ok(a && b, "both boots completed");
      t.diagnostic(
        `instructions retired: ${a.instructions} (interpreter), ${b.instructions} (jit)`,
      );
      assert.equal(b.instructions, a.instructions, "instructions retired (jit, interpreter)");
      if (!a.console.equals(b.console)) {
        let at = 0;
        while (at < a.console.length && a.console[at] === b.console[at]) at++;
        const line = (c: Buffer) => c.subarray(Math.max(0, at - 80), at + 80).toString();
        assert.fail(
          `the consoles differ from byte ${at}:\ninterpreter: ${line(a.console)}\njit: ${line(b.console)}`,
        );
      }
    },
  );
}
