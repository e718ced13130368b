// Differential bench against qemu-aarch64 (user mode): a program sets X0-X15 and NZCV,
// runs a body of instructions, stores X0-X15 and NZCV (and, with memory, V0-V7 and a
// scratch buffer) on the stack and writes them to stdout. The same bytes run on our CPU in user mode (the write and exit syscalls are
// served here), and the two dumps must match, under both CPU tiers (test/tiers.ts: the
// interpreter alone, then the JIT compiling everything), against the one QEMU run. Used
// by the *-qemu tests; they skip when the cross tools or QEMU are missing.

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCpu, type Arm64CpuExt } from "../../../src/arch/arm64/index.js";
import { flatMemory } from "./harness.js";
import { assertRanIn, cpuJit, TIERS, type Tier } from "../../tiers.js";

const TEXT = 0x400000;
/**
 * Our SP at entry: X16 (SP - 1536, wrapProgram) is then a page boundary, so the scratch
 * buffer straddles two pages and accesses just below X16 cross from one to the other
 * (the memory tests generate such accesses; QEMU's stack lies elsewhere, which changes
 * nothing for Normal memory).
 */
const STACK_TOP = 0x7ff600;

export function haveQemu(): boolean {
  try {
    execFileSync("qemu-aarch64", ["--version"], { stdio: "ignore" });
    execFileSync("aarch64-linux-gnu-ld", ["--version"], { stdio: "ignore" });
    execFileSync("aarch64-linux-gnu-as", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const SKIP_NO_QEMU = "qemu-aarch64 or aarch64-linux-gnu binutils are not installed";

/**
 * With `memory`, X16 points into a 1 KiB scratch buffer (filled with a pattern first)
 * that the body may load and store around, and the buffer is dumped after the registers.
 */
export function wrapProgram(
  init: readonly bigint[],
  nzcv: number,
  body: string,
  memory = false,
): string {
  const regs = init.map((v, i) => `ldr x${i}, =0x${v.toString(16)}`).join("\n");
  const fill = memory
    ? `
  sub x16, sp, #2048
  mov x17, #0
  ldr x18, =0x9e3779b97f4a7c15
1:mul x19, x17, x18
  eor x19, x19, x19, lsr #29
  str x19, [x16, x17, lsl #3]
  add x17, x17, #1
  cmp x17, #128
  b.ne 1b
  add x16, x16, #512
  sub x17, x16, #512
  ldp q0, q1, [x17, #0]
  ldp q2, q3, [x17, #32]
  ldp q4, q5, [x17, #64]
  ldp q6, q7, [x17, #96]`
    : "";
  const dump = memory
    ? `
  sub x1, sp, #2048
  mov x2, #1024
  mov x0, #1
  mov x8, #64
  svc #0`
    : "";
  return `
.text
.globl _start
_start:
${fill}
  mov x19, #${nzcv >>> 16}
  lsl x19, x19, #16
  msr nzcv, x19
${regs}
${body}
  mrs x19, nzcv
  sub x17, sp, #512
  stp x0, x1, [x17, #0]
  stp x2, x3, [x17, #16]
  stp x4, x5, [x17, #32]
  stp x6, x7, [x17, #48]
  stp x8, x9, [x17, #64]
  stp x10, x11, [x17, #80]
  stp x12, x13, [x17, #96]
  stp x14, x15, [x17, #112]
  str x19, [x17, #128]
  stp q0, q1, [x17, #144]
  stp q2, q3, [x17, #176]
  stp q4, q5, [x17, #208]
  stp q6, q7, [x17, #240]
  mov x0, #1
  mov x1, x17
  mov x2, #${memory ? 272 : 136}
  mov x8, #64
  svc #0${dump}
  mov x0, #0
  mov x8, #93
  svc #0
.ltorg
`;
}

/** Assembles and links at 0x400000; returns the ELF path and the raw text bytes. */
function build(dir: string, source: string): { elf: string; text: Uint8Array } {
  writeFileSync(join(dir, "p.s"), source);
  execFileSync("aarch64-linux-gnu-as", [
    "-march=armv8.1-a+crc",
    "-o",
    join(dir, "p.o"),
    join(dir, "p.s"),
  ]);
  execFileSync("aarch64-linux-gnu-ld", [
    "-static",
    `-Ttext=0x${TEXT.toString(16)}`,
    "-o",
    join(dir, "p.elf"),
    join(dir, "p.o"),
  ]);
  execFileSync("aarch64-linux-gnu-objcopy", [
    "-O",
    "binary",
    "-j",
    ".text",
    join(dir, "p.elf"),
    join(dir, "p.bin"),
  ]);
  return { elf: join(dir, "p.elf"), text: new Uint8Array(readFileSync(join(dir, "p.bin"))) };
}

export function runQemu(elf: string): Uint8Array {
  return new Uint8Array(execFileSync("qemu-aarch64", [elf]));
}

/** Sees each CPU runOurs creates before it runs (a test counting the JIT's call-outs). */
export type CpuObserver = (cpu: Arm64CpuExt, tier: Tier) => void;

/** Runs the text in user mode on our CPU in `tier`, serving write(1) and exit; returns stdout bytes. */
export function runOurs(
  text: Uint8Array,
  tier: Tier,
  budget = 1_000_000,
  observe?: CpuObserver,
): Uint8Array {
  const mem = flatMemory(0, 1 << 23);
  mem.bytes.set(text, TEXT);
  const cpu = createCpu({ mode: "user", memory: mem, jit: cpuJit(tier) });
  observe?.(cpu, tier);
  cpu.reset(TEXT);
  cpu.setSp(BigInt(STACK_TOP));
  const out: number[] = [];
  for (;;) {
    const exit = cpu.run(budget);
    if (exit.kind !== "svc")
      throw new Error(
        `unexpected exit ${JSON.stringify(exit, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
      );
    const nr = Number(cpu.getX(8));
    if (nr === 93) {
      assertRanIn(tier, cpu.jitStats, "qemu.ts runOurs");
      return new Uint8Array(out);
    }
    if (nr === 64) {
      const p = Number(cpu.getX(1));
      const n = Number(cpu.getX(2));
      out.push(...mem.bytes.subarray(p, p + n));
      cpu.setX(0, BigInt(n));
    } else throw new Error(`syscall ${nr}`);
  }
}

export interface DiffResult {
  /** Every tier's dump equals QEMU's. */
  same: boolean;
  qemu: bigint[];
  /** The dump of each tier. */
  ours: Record<Tier, bigint[]>;
  /** The tiers whose dump differs from QEMU's. */
  differing: Tier[];
}

function words(b: Uint8Array): bigint[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r: bigint[] = [];
  for (let i = 0; i + 8 <= b.byteLength; i += 8) r.push(dv.getBigUint64(i, true));
  return r;
}

export function diffProgram(
  init: readonly bigint[],
  nzcv: number,
  body: string,
  memory = false,
  observe?: CpuObserver,
): DiffResult {
  const dir = mkdtempSync(join(tmpdir(), "a64q-"));
  try {
    const { elf, text } = build(dir, wrapProgram(init, nzcv, body, memory));
    const q = words(runQemu(elf));
    const ours = { interpreter: [], jit: [] } as Record<Tier, bigint[]>;
    for (const tier of TIERS) ours[tier] = words(runOurs(text, tier, undefined, observe));
    const differing = TIERS.filter(
      (t) => ours[t].length !== q.length || ours[t].some((v, i) => v !== q[i]),
    );
    return { same: differing.length === 0, qemu: q, ours, differing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Finds the first body line after which the two CPUs disagree (for failure messages). */
export function firstDivergence(
  init: readonly bigint[],
  nzcv: number,
  lines: readonly string[],
  memory = false,
): string {
  let lo = 1;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (diffProgram(init, nzcv, lines.slice(0, mid).join("\n"), memory).same) lo = mid + 1;
    else hi = mid;
  }
  const r = diffProgram(init, nzcv, lines.slice(0, lo).join("\n"), memory);
  const report = r.differing.map((tier) => {
    const ours = r.ours[tier];
    const regs = r.qemu
      .map((q, i) =>
        q !== ours[i] ? `${wordName(i)}: qemu ${q.toString(16)} ours ${ours[i]?.toString(16)}` : "",
      )
      .filter((s) => s !== "");
    return `${tier}: ${regs.join(", ")}`;
  });
  return `after "${lines[lo - 1]}": ${report.join("; ")}\n(prefix of ${lo} lines)`;
}

/** Names the words of a dump: X0-X15, NZCV, padding, V0-V7 (two halves each), then the buffer. */
function wordName(i: number): string {
  if (i < 16) return `x${i}`;
  if (i === 16) return "NZCV";
  if (i === 17) return "pad";
  if (i < 34) return `v${(i - 18) >> 1}.d[${(i - 18) & 1}]`;
  return `mem+${(i - 34) * 8}`;
}
