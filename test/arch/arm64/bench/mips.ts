// Integer-throughput benchmark of the interpreter (not part of `npm test`):
//   node --import tsx test/arch/arm64/bench/mips.ts [millions of instructions]
// Runs a loop mixing ALU ops, loads/stores, compares, calls and returns at EL1 with the
// MMU off, then the same loop with the MMU on (identity map through the TLB), and
// prints MIPS for each. Figures are recorded in src/arch/arm64/README.md.

import { performance } from "node:perf_hooks";
import { machine, assemble, RAM_BASE } from "../harness.js";

const LOOP = `
    adr x20, buf
    mov x21, #0
    mov x22, #0
    movz x23, #0x9e37, lsl #16
1:  and x1, x21, #255
    ldr x2, [x20, x1, lsl #3]
    add x2, x2, x21
    eor x3, x2, x23
    lsr x4, x3, #7
    str x4, [x20, x1, lsl #3]
    add x22, x22, x4
    ldp x5, x6, [x20, #16]
    stp x6, x5, [x20, #16]
    bl leaf
    add x21, x21, #1
    cmp x21, x24
    b.ne 1b
    mov x21, #0
    b 1b
leaf:
    sub x7, x22, #3
    tst x7, #1
    csel x8, x7, x22, eq
    ret
    .balign 16
buf: .fill 256, 8, 0
`;

function bench(
  label: string,
  setup: (m: ReturnType<typeof machine>) => void,
  millions: number,
): number {
  const m = machine(assemble(LOOP));
  m.cpu.setX(24, 1000000n);
  setup(m);
  m.cpu.run(5_000_000); // warm up the JIT
  const n = millions * 1_000_000;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let left = n;
  while (left > 0) {
    const slice = Math.min(left, 1_000_000);
    const exit = m.cpu.run(slice);
    if (exit.kind !== "budget") throw new Error(`unexpected exit ${exit.kind}`);
    left -= slice;
  }
  const ms = performance.now() - t0;
  const used = process.cpuUsage(c0);
  const cpuMs = (used.user + used.system) / 1000;
  // CPU time is the fair figure on a shared machine: wall time includes other processes.
  const mips = n / cpuMs / 1000;
  console.log(
    `${label}: ${n / 1e6}M instructions, ${cpuMs.toFixed(0)} ms CPU (${ms.toFixed(0)} ms wall) = ${mips.toFixed(1)} MIPS`,
  );
  return mips;
}

/** Identity map of the first 1 GiB block at RAM_BASE with 2 MiB blocks, MMU on. */
function mmuOn(m: ReturnType<typeof machine>): void {
  const dv = m.mem.view;
  const l1 = 0x200000;
  const l2 = 0x201000;
  dv.setBigUint64(l1 + 8 * 1, BigInt(RAM_BASE + l2) | 3n, true);
  for (let i = 0; i < 2; i++) {
    dv.setBigUint64(l2 + 8 * i, BigInt(RAM_BASE + i * 0x200000) | 0x401n | (1n << 2n), true);
  }
  const cpu = m.cpu;
  const prog = assemble(`
    msr ttbr0_el1, x0
    msr tcr_el1, x1
    msr mair_el1, x2
    isb
    mrs x3, sctlr_el1
    orr x3, x3, #1
    msr sctlr_el1, x3
    isb
    br x4
  `);
  m.mem.bytes.set(prog, 0x300000);
  cpu.setX(0, BigInt(RAM_BASE + l1));
  cpu.setX(1, 25n | (1n << 8n) | (1n << 10n) | (3n << 12n)); // T0SZ=25 (39-bit VA), WB cacheable
  cpu.setX(2, 0xffn << 8n);
  cpu.setX(4, BigInt(RAM_BASE));
  cpu.pc = RAM_BASE + 0x300000;
  cpu.run(9);
}

const millions = Number(process.argv[2] ?? 50);
bench("MMU off", () => undefined, millions);
bench("MMU off", () => undefined, millions);
bench("MMU on ", mmuOn, millions);
