// Early Linux boot directly on the CPU (not part of `npm test`), as a realistic
// workload and smoke test of system mode:
//   node --import tsx test/arch/arm64/bench/linux-boot.ts [millions of instructions]
// Needs .assets/linux/Image (Debian's arm64 kernel) and dtc. The machine is minimal:
// RAM at 0x4000_0000, a PL011 whose data register prints to stdout, a GICv3 whose
// registers read as plausible constants, PSCI 1.0 over HVC. The kernel gets through
// early init (MMU on, per-CPU setup, alternatives, ftrace) before it needs a real GIC
// and timer interrupts; the run prints the console and the MIPS by CPU time.

import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCpu } from "../../../../src/arch/arm64/index.js";
import { flatMemory } from "../harness.js";

const RAM = 0x4000_0000;
const UART = 0x0900_0000;
const GIC = 0x0800_0000;
const root = new URL("../../../../", import.meta.url).pathname;

function dtb(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "dtb-"));
  try {
    const out = join(dir, "virt.dtb");
    execFileSync("dtc", [
      "-I",
      "dts",
      "-O",
      "dtb",
      "-q",
      "-o",
      out,
      join(root, "test/arch/arm64/bench/virt.dts"),
    ]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mem = flatMemory(RAM, 256 << 20);
const image = readFileSync(join(root, ".assets/linux/Image"));
const textOffset = Number(image.readBigUInt64LE(8));
const kernel = RAM + 0x20_0000 + textOffset; // 2 MiB aligned + text_offset (booting.rst)
mem.bytes.set(image, kernel - RAM);
const DTB = RAM + 0x800_0000;
mem.bytes.set(dtb(), DTB - RAM);

const icc = new Map<number, bigint>();
const cpu = createCpu({
  mode: "system",
  memory: mem,
  mpidr: 0n,
  counterFrequency: 62_500_000,
  gic: { read: (k) => icc.get(k) ?? 0n, write: (k, v) => (icc.set(k, v), true) },
});
cpu.reset(kernel);
cpu.setX(0, BigInt(DTB));

/** GICv3 frames: PIDR2 says v3, GICD_TYPER a few lines, GICR_TYPER "last". */
function gicRead(off: number): bigint {
  if (off === 0xffe8 || off === 0xa0000 + 0xffe8) return 0x30n;
  if (off === 0x4) return 0x7n;
  if (off === 0xa0000 + 0x8) return 0x10n;
  return 0n;
}

const limit = Number(process.argv[2] ?? 200) * 1e6;
const start = process.cpuUsage();
while (cpu.instructionsRetired < limit) {
  const e = cpu.run(1_000_000);
  if (e.kind === "budget" || e.kind === "wfi") continue;
  if (e.kind === "stage2-abort") {
    const a = e.abort;
    if (!a.syndromeValid) {
      console.log(`\nunemulatable access at ${a.ipa.toString(16)}, pc ${a.pc.toString(16)}`);
      break;
    }
    if (a.ipa >= UART && a.ipa < UART + 0x1000) {
      if (a.isWrite && a.ipa === UART)
        process.stdout.write(String.fromCharCode(Number(a.value & 0xffn)));
      if (a.isWrite) cpu.completeMmio();
      else cpu.completeMmioRead(a.ipa === UART + 0x18 ? 0x90n : 0n); // UARTFR: TX empty
    } else if (a.ipa >= GIC && a.ipa < UART) {
      if (a.isWrite) cpu.completeMmio();
      else cpu.completeMmioRead(gicRead(a.ipa - GIC));
    } else if (a.isWrite) cpu.completeMmio();
    else cpu.completeMmioRead(0n);
    continue;
  }
  if (e.kind === "hvc" || e.kind === "smc") {
    const fn = Number(cpu.getX(0) & 0xffffffffn);
    if (fn === 0x8400_0000)
      cpu.setX(0, 0x1_0000n); // PSCI_VERSION 1.0
    else if (fn === 0x8400_0008 || fn === 0x8400_0009)
      break; // SYSTEM_OFF / RESET
    else cpu.setX(0, (1n << 64n) - 1n); // NOT_SUPPORTED
    continue;
  }
  console.log("\nexit", e);
  break;
}
const used = process.cpuUsage(start);
const ms = (used.user + used.system) / 1000;
const n = cpu.instructionsRetired;
console.log(
  `\n[${n} instructions, ${ms.toFixed(0)} ms CPU = ${(n / ms / 1000).toFixed(1)} MIPS; pc ${cpu.pc.toString(16)}, EL${cpu.currentEl}]`,
);
