// Debian's Linux boot to a busybox shell directly on the CPU (not part of `npm test`):
// the realistic workload and end-to-end check of system mode and EL0.
//   node --import tsx test/arch/arm64/bench/linux-boot.ts [--no-flags] [millions of instructions]
// Needs .assets/linux/Image and initramfs.cpio.gz, and dtc. The machine is minimal and
// lives here: RAM at 0x4000_0000, a PL011 (TX only, its TX interrupt always ready), a
// GICv3 whose frames read as plausible constants and whose CPU interface knows two
// interrupts (virtual timer 27, PL011 33), PSCI 1.0 over HVC, and guest time =
// instructions retired plus the time skipped in WFI. It stops at the shell prompt and
// prints the instructions and MIPS by CPU time.

import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCpu, sysregKey } from "../../../../src/arch/arm64/index.js";
import { flatMemory } from "../harness.js";
import { countCallouts, printCallouts, printExits, type Counts } from "./callout-counts.js";
import { applyJitV8Flags } from "../../../../src/cli/v8-flags.js";

// As the CLI does; --no-flags keeps V8's defaults (what a browser page runs with).
const noFlags = process.argv.includes("--no-flags");
if (noFlags) process.argv.splice(process.argv.indexOf("--no-flags"), 1);
else applyJitV8Flags();

const RAM = 0x4000_0000;
const UART = 0x0900_0000;
const GIC = 0x0800_0000;
const root = new URL("../../../../", import.meta.url).pathname;

/** The DTB from virt.dts, with /chosen pointing at the initramfs. */
function dtb(initrdStart: number, initrdEnd: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "dtb-"));
  try {
    const src = join(dir, "virt.dts");
    const out = join(dir, "virt.dtb");
    const chosen =
      `chosen {\n    linux,initrd-start = <0x0 0x${initrdStart.toString(16)}>;` +
      `\n    linux,initrd-end = <0x0 0x${initrdEnd.toString(16)}>;`;
    const dts = readFileSync(join(root, "test/arch/arm64/bench/virt.dts"), "utf8");
    writeFileSync(src, dts.replace("chosen {", chosen));
    execFileSync("dtc", ["-I", "dts", "-O", "dtb", "-q", "-o", out, src]);
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
const INITRD = RAM + 0x900_0000;
const initrd = readFileSync(join(root, ".assets/linux/initramfs.cpio.gz"));
mem.bytes.set(initrd, INITRD - RAM);
mem.bytes.set(dtb(INITRD, INITRD + initrd.length), DTB - RAM);

// A one-interrupt GIC CPU interface: the virtual timer (INTID 27) is the only source.
const icc = new Map<number, bigint>();
const IAR1 = sysregKey(3, 0, 12, 12, 0);
let active = false;
let uartImsc = 0;
/** Pending INTID: the virtual timer (27) first, then the PL011 TX interrupt (33). */
function pending(): number | undefined {
  if ((cpu.timerOutputs() & 1) !== 0) return 27;
  if ((uartImsc & 0x20) !== 0) return 33; // TX FIFO always has room
  return undefined;
}
let skipped = 0n;
const cpu = createCpu({
  mode: "system",
  memory: mem,
  mpidr: 0n,
  counterFrequency: 62_500_000,
  // Guest time = instructions retired + the time skipped while the CPU waited (WFI).
  counter: () => BigInt(cpu.instructionsRetired) + skipped,
  gic: {
    read: (k) => {
      if (k !== IAR1) return icc.get(k) ?? 0n;
      const id = active ? undefined : pending();
      if (id === undefined) return 1023n; // spurious
      active = true;
      return BigInt(id);
    },
    write: (k, v) => {
      if (k === sysregKey(3, 0, 12, 12, 1)) active = false; // EOIR1
      icc.set(k, v);
      return true;
    },
  },
});
cpu.reset(kernel);
cpu.setX(0, BigInt(DTB));
// GUNYAH_CALLOUTS=1 (with the JIT on): the call-outs' histogram at the end (callouts.ts).
const callouts: Counts | undefined = process.env["GUNYAH_CALLOUTS"]
  ? countCallouts(cpu)
  : undefined;

/** PL011: FR says the TX FIFO is empty; MIS shows TX; the AMBA IDs identify a PL011 r1p5. */
function uartRead(off: number): bigint {
  const ids = [0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
  if (off >= 0xfe0) return BigInt(ids[(off - 0xfe0) >> 2] ?? 0);
  if (off === 0x18) return 0x90n; // UARTFR: TXFE | RXFE
  if (off === 0x38) return BigInt(uartImsc);
  if (off === 0x3c || off === 0x40) return BigInt(0x20 & (off === 0x40 ? uartImsc : 0x20)); // RIS, MIS
  return 0n;
}

/** GICv3 frames: PIDR2 says v3, GICD_TYPER a few lines, GICR_TYPER "last". */
function gicRead(off: number): bigint {
  if (off === 0xffe8 || off === 0xa0000 + 0xffe8) return 0x30n;
  if (off === 0x4) return 0x7n;
  if (off === 0xa0000 + 0x8) return 0x10n;
  return 0n;
}

const limit = Number(process.argv[2] ?? 2000) * 1e6;
let consoleTail = "";
const start = process.cpuUsage();
const startWall = performance.now();
// Stops at the busybox shell prompt, at PSCI SYSTEM_OFF, or after the limit.
while (cpu.instructionsRetired < limit && !consoleTail.endsWith("/ # ")) {
  // Modules compiled in the background (GUNYAH_JIT_COMPILE=async) are installed at an
  // event loop turn, as `gunyah run` gives one at every slice end.
  if ((cpu.jitStats?.compiling ?? 0) > 0) await new Promise((r) => setImmediate(r));
  cpu.setIrqLine(!active && pending() !== undefined);
  const e = cpu.run(100_000);
  if (e.kind === "budget" || e.kind === "wfe") continue;
  if (e.kind === "wfi") {
    // Nothing to run until the next timer deadline: jump virtual time there.
    const deadline = cpu.nextTimerDeadline();
    const now = BigInt(cpu.instructionsRetired) + skipped;
    if (deadline !== undefined && deadline > now) skipped += deadline - now;
    continue;
  }
  if (e.kind === "stage2-abort") {
    const a = e.abort;
    if (!a.syndromeValid) {
      console.log(`\nunemulatable access at ${a.ipa.toString(16)}, pc ${a.pc.toString(16)}`);
      break;
    }
    if (a.ipa >= UART && a.ipa < UART + 0x1000) {
      if (a.isWrite && a.ipa === UART) {
        const ch = String.fromCharCode(Number(a.value & 0xffn));
        process.stdout.write(ch);
        consoleTail = (consoleTail + ch).slice(-64);
      }
      if (a.isWrite && a.ipa === UART + 0x38) uartImsc = Number(a.value);
      if (a.isWrite) cpu.completeMmio();
      else cpu.completeMmioRead(uartRead(a.ipa - UART));
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
  `\n[${n} instructions, ${ms.toFixed(0)} ms CPU = ${(n / ms / 1000).toFixed(1)} MIPS, ${(performance.now() - startWall).toFixed(0)} ms wall; pc ${cpu.pc.toString(16)}, EL${cpu.currentEl}]`,
);
const jit = (cpu as unknown as { jitStats?: unknown }).jitStats;
if (jit) console.log(`[jit ${JSON.stringify(jit)}]`);
if (callouts) {
  printCallouts(callouts.callouts);
  printExits(callouts);
}
