// Linux boot benchmark: Debian's stock arm64 kernel with the busybox test initramfs
// (runs `uname`, prints GUNYAH-LINUX-OK, powers off) through every gunyah-ts layer,
// and the same kernel, initramfs and command line on qemu-system-aarch64 (TCG,
// cortex-a57) measured in the same run. Needs scripts/fetch-linux-assets.sh.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../src/cli/main.js";

const assets = path.resolve(import.meta.dirname, "..", ".assets", "linux");
const kernel = path.join(assets, "Image");
const initrd = path.join(assets, "initramfs-test.cpio.gz");
const append = "console=ttyAMA0 panic=-1 cryptomgr.notests=1";

async function bootOurs(): Promise<{ wall: number; cpu: number; ok: boolean }> {
  let out = "";
  const decoder = new TextDecoder();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const code = await main(
    ["run", "--kernel", kernel, "--initrd", initrd, "--append", append, "--memory", "256M"],
    {
      stdout: (d) => void (out += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
      stderr: () => undefined,
      stdin: undefined,
      onInterrupt: undefined,
    },
  );
  const used = process.cpuUsage(c0);
  return {
    wall: (performance.now() - t0) / 1000,
    cpu: (used.user + used.system) / 1e6,
    ok: code === 0 && out.includes("GUNYAH-LINUX-OK"),
  };
}

function bootQemu(): { wall: number; ok: boolean } {
  const t0 = performance.now();
  const r = spawnSync(
    "qemu-system-aarch64",
    ["-M", "virt", "-cpu", "cortex-a57", "-m", "256", "-nographic", "-no-reboot"].concat([
      "-kernel",
      kernel,
      "-initrd",
      initrd,
      "-append",
      append,
    ]),
    { maxBuffer: 1 << 24, timeout: 600_000 },
  );
  return {
    wall: (performance.now() - t0) / 1000,
    ok: r.status === 0 && r.stdout.toString().includes("GUNYAH-LINUX-OK"),
  };
}

export async function bench(): Promise<Record<string, number | string>> {
  if (!fs.existsSync(kernel) || !fs.existsSync(initrd))
    return { skipped: "no .assets/linux: run scripts/fetch-linux-assets.sh" };
  const ours = await bootOurs();
  const qemu = bootQemu();
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    kernel: fs.readFileSync(path.join(assets, "VERSION"), "utf8").trim(),
    "gunyah-ts boot to poweroff: wall (s)": round(ours.wall),
    "gunyah-ts boot to poweroff: CPU (s)": round(ours.cpu),
    "gunyah-ts reached GUNYAH-LINUX-OK": ours.ok ? "yes" : "NO",
    "qemu-system-aarch64 TCG: wall (s)": round(qemu.wall),
    "qemu reached GUNYAH-LINUX-OK": qemu.ok ? "yes" : "NO",
    "slower than qemu, wall (x)": round(ours.wall / qemu.wall),
  };
}
