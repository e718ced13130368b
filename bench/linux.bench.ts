// Linux boot benchmark, through every gunyah-ts layer and on qemu-system-aarch64
// (TCG, cortex-a57) with the same kernel, initramfs and command line, measured in the
// same run. Two workloads on Debian's stock arm64 kernel:
//   boot: 1 vCPU, the busybox test initramfs (uname, GUNYAH-LINUX-OK, power off),
//         crypto self-tests off (cryptomgr.notests);
//   smp:  2 vCPUs (QEMU -smp 2), the crypto self-tests on, an initramfs whose /init
//         checks the CPU count, sha256sum and awk and prints GUNYAH-SMP-OK.
// A ratio is printed only when both sides exited 0 and printed the marker
// (bench/compare.ts). Needs scripts/fetch-linux-assets.sh.
// GUNYAH_BENCH_WORKLOADS=smp (a comma-separated list of labels) runs only those.

import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../src/cli/main.js";
import { openHostPort, type HostHandle } from "../src/cli/host.js";
import { runTotals, type RunTotals } from "../src/cli/stats.js";
import { compareWall, runCommandSide, type BenchResult, type SideRun } from "./compare.js";
import { profiled } from "./profile.js";
import { SMP_MARKER, buildSmpInitramfs } from "./smp-initramfs.js";

const root = path.resolve(import.meta.dirname, "..");
const assets = path.join(root, ".assets", "linux");
const kernel = path.join(assets, "Image");
const busybox = path.join(root, ".assets", "busybox");
export const LINUX_MARKER = "GUNYAH-LINUX-OK";
/**
 * The time both sides' guest RTC starts at (`--rtc-base`; QEMU's `-rtc base=`, UTC).
 * Linux reads the RTC at boot and prints the time, so a guest started from the host's
 * clock retires a slightly different instruction count each run (~0.1 %); fixed, the
 * gunyah-ts boots are deterministic and their counts reproducible.
 */
export const BENCH_RTC_BASE = "2026-01-02T03:04:05Z";

export interface Workload {
  readonly label: string;
  readonly initrd: () => string;
  readonly append: string;
  readonly cpus: number;
  readonly marker: string;
}

const WORKLOADS: readonly Workload[] = [
  {
    label: "boot",
    initrd: () => path.join(assets, "initramfs-test.cpio.gz"),
    append: "console=ttyAMA0 panic=-1 cryptomgr.notests=1",
    cpus: 1,
    marker: LINUX_MARKER,
  },
  {
    label: "smp",
    initrd: () => buildSmpInitramfs(busybox, path.join(root, ".bench", "initramfs-smp.cpio.gz")),
    append: "console=ttyAMA0 panic=-1",
    cpus: 2,
    marker: SMP_MARKER,
  },
];

async function bootOurs(
  w: Workload,
  initrd: string,
): Promise<SideRun & { cpu: number; totals: RunTotals | undefined }> {
  let out = "";
  let err = "";
  const decoder = new TextDecoder();
  const text = (d: string | Uint8Array) =>
    typeof d === "string" ? d : decoder.decode(d, { stream: true });
  let host: HostHandle | undefined;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const code = await main(
    [
      "run",
      "--kernel",
      kernel,
      "--initrd",
      initrd,
      "--append",
      w.append,
      "--memory",
      "256M",
      "--rtc-base",
      BENCH_RTC_BASE,
    ].concat(["--cpus", String(w.cpus)]),
    {
      stdout: (d) => void (out += text(d)),
      stderr: (d) => void (err += text(d)),
      stdin: undefined,
      onInterrupt: undefined,
      // The same host `gunyah run` opens, kept to read the vCPUs' statistics after.
      openHost: async (req) => {
        const h = await openHostPort(req);
        if (typeof h !== "string") host = h;
        return h;
      },
    },
  );
  const used = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  const failure =
    code !== 0
      ? `gunyah-ts exited with status ${code}; stderr tail:\n${err.trimEnd().split("\n").slice(-8).join("\n")}`
      : out.includes(w.marker)
        ? undefined
        : `gunyah-ts exited 0 without printing "${w.marker}"`;
  const side = {
    name: "gunyah-ts",
    wall,
    stdout: Buffer.from(out),
    cpu: (used.user + used.system) / 1e6,
    totals: host?.vcpuStats ? runTotals(host.vcpuStats(), wall) : undefined,
  };
  return failure === undefined ? { ...side, ok: true } : { ...side, ok: false, failure };
}

/** The reference: QEMU's virt machine with nothing but what the boot needs. */
export function bootQemu(w: Workload, initrd: string): SideRun {
  return runCommandSide({
    name: "qemu-system-aarch64",
    command: "qemu-system-aarch64",
    // -nodefaults: no default NIC (whose option ROM lives in an optional package),
    // no default monitor or parallel port; the PL011 goes to stdio explicitly.
    args: ["-M", "virt", "-cpu", "cortex-a57", "-m", "256", "-smp", String(w.cpus)]
      .concat(["-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot"])
      .concat(["-kernel", kernel, "-initrd", initrd, "-append", w.append])
      .concat(["-rtc", `base=${BENCH_RTC_BASE.replace(/Z$/, "")}`]),
    marker: w.marker,
  });
}

/** The workloads GUNYAH_BENCH_WORKLOADS names (all when unset), or the unknown label. */
export function selectWorkloads(
  spec: string | undefined,
): { workloads: readonly Workload[] } | { unknown: string } {
  if (spec === undefined || spec.trim() === "") return { workloads: WORKLOADS };
  const labels = spec.split(",").map((l) => l.trim());
  const unknown = labels.find((l) => !WORKLOADS.some((w) => w.label === l));
  if (unknown !== undefined) return { unknown };
  return { workloads: WORKLOADS.filter((w) => labels.includes(w.label)) };
}

export async function bench(): Promise<BenchResult | Record<string, string>> {
  if (!fs.existsSync(kernel) || !fs.existsSync(busybox))
    return { skipped: "no .assets/linux: run `node bin/gunyah.js fetch --dir .assets`" };
  const selected = selectWorkloads(process.env["GUNYAH_BENCH_WORKLOADS"]);
  if ("unknown" in selected) {
    const known = WORKLOADS.map((w) => w.label).join(", ");
    return {
      figures: {},
      failures: [`GUNYAH_BENCH_WORKLOADS: no workload "${selected.unknown}" (known: ${known})`],
    };
  }
  const failures: string[] = [];
  const figures: Record<string, number | string> = {
    kernel: fs.readFileSync(path.join(assets, "VERSION"), "utf8").trim(),
    "guest RTC base (fixed: reproducible counts)": BENCH_RTC_BASE,
  };
  for (const w of selected.workloads) {
    const initrd = w.initrd();
    const ours = await profiled(`linux-${w.label}`, () => bootOurs(w, initrd));
    const qemu = bootQemu(w, initrd);
    const label = `${w.label} (${w.cpus} vCPU${w.cpus > 1 ? "s" : ""})`;
    Object.assign(
      figures,
      compareWall(label, ours, qemu, failures),
      runFigures(label, ours.totals),
    );
  }
  return { figures, failures };
}

/** Guest instructions retired, effective MIPS and, with a JIT tier, its figures. */
function runFigures(label: string, t: RunTotals | undefined): Record<string, number | string> {
  if (!t) return {};
  const figures: Record<string, number | string> = {
    [`${label}: guest instructions retired`]: t.instructions,
    [`${label}: effective MIPS (wall)`]: Math.round(t.mips * 10) / 10,
  };
  for (const [kind, count] of Object.entries(t.exits).sort((a, b) => b[1] - a[1]))
    figures[`${label}: exits: ${kind}`] = count;
  if (t.jit) {
    figures[`${label}: jit: instructions run compiled (%)`] =
      Math.round(t.jit.compiledShare * 1000) / 10;
    figures[`${label}: jit: units compiled`] = t.jit.units;
    figures[`${label}: jit: compile time (ms)`] = Math.round(t.jit.compileMs);
    figures[`${label}: jit: code cache (KiB)`] = Math.round(t.jit.codeBytes / 1024);
  }
  return figures;
}
