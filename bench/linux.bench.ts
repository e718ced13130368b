// Linux boot benchmark: Debian's stock arm64 kernel with the busybox test initramfs
// (runs `uname`, prints GUNYAH-LINUX-OK, powers off) through every gunyah-ts layer,
// and the same kernel, initramfs and command line on qemu-system-aarch64 (TCG,
// cortex-a57) measured in the same run. A ratio is printed only when both sides
// exited 0 and printed the marker (bench/compare.ts). Needs scripts/fetch-linux-assets.sh.

import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../src/cli/main.js";
import { openHostPort, type HostHandle } from "../src/cli/host.js";
import { runTotals, type RunTotals } from "../src/cli/stats.js";
import { compareWall, runCommandSide, type BenchResult, type SideRun } from "./compare.js";
import { profiled } from "./profile.js";

const assets = path.resolve(import.meta.dirname, "..", ".assets", "linux");
const kernel = path.join(assets, "Image");
const initrd = path.join(assets, "initramfs-test.cpio.gz");
const append = "console=ttyAMA0 panic=-1 cryptomgr.notests=1";
export const LINUX_MARKER = "GUNYAH-LINUX-OK";

async function bootOurs(): Promise<SideRun & { cpu: number; totals: RunTotals | undefined }> {
  let out = "";
  let err = "";
  const decoder = new TextDecoder();
  const text = (d: string | Uint8Array) =>
    typeof d === "string" ? d : decoder.decode(d, { stream: true });
  let host: HostHandle | undefined;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const code = await main(
    ["run", "--kernel", kernel, "--initrd", initrd, "--append", append, "--memory", "256M"],
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
      : out.includes(LINUX_MARKER)
        ? undefined
        : `gunyah-ts exited 0 without printing "${LINUX_MARKER}"`;
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
export function bootQemu(): SideRun {
  return runCommandSide({
    name: "qemu-system-aarch64",
    command: "qemu-system-aarch64",
    // -nodefaults: no default NIC (whose option ROM lives in an optional package),
    // no default monitor or parallel port; the PL011 goes to stdio explicitly.
    args: ["-M", "virt", "-cpu", "cortex-a57", "-m", "256", "-nodefaults", "-display", "none"]
      .concat(["-serial", "stdio", "-no-reboot"])
      .concat(["-kernel", kernel, "-initrd", initrd, "-append", append]),
    marker: LINUX_MARKER,
  });
}

export async function bench(): Promise<BenchResult | Record<string, string>> {
  if (!fs.existsSync(kernel) || !fs.existsSync(initrd))
    return { skipped: "no .assets/linux: run scripts/fetch-linux-assets.sh" };
  const failures: string[] = [];
  const ours = await profiled("linux", bootOurs);
  const qemu = bootQemu();
  const figures: Record<string, number | string> = {
    kernel: fs.readFileSync(path.join(assets, "VERSION"), "utf8").trim(),
    ...compareWall("boot to poweroff", ours, qemu, failures),
    ...runFigures(ours.totals),
  };
  return { figures, failures };
}

/** Guest instructions retired, effective MIPS and, with a JIT tier, its figures. */
function runFigures(t: RunTotals | undefined): Record<string, number | string> {
  if (!t) return {};
  const figures: Record<string, number | string> = {
    "guest instructions retired": t.instructions,
    "effective MIPS (wall)": Math.round(t.mips * 10) / 10,
  };
  for (const [kind, count] of Object.entries(t.exits).sort((a, b) => b[1] - a[1]))
    figures[`exits: ${kind}`] = count;
  if (t.jit) {
    figures["jit: instructions run compiled (%)"] = Math.round(t.jit.compiledShare * 1000) / 10;
    figures["jit: units compiled"] = t.jit.units;
    figures["jit: compile time (ms)"] = Math.round(t.jit.compileMs);
    figures["jit: code cache (KiB)"] = Math.round(t.jit.codeBytes / 1024);
  }
  return figures;
}
