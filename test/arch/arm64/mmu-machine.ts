// The machine of the stage-1 MMU tests (mmu.test.ts, tlbi-broadcast.test.ts): test
// RAM with hand-built tables for TTBR0 (identity map, 4 levels, special pages at
// +0x80000) and TTBR1 (a kernel VA mapped with a 1 GiB block), vectors that record
// ESR/FAR/ELR/PAR and end with HVC #0x100+n, and the MMU turned on before the body.

import assert from "node:assert/strict";
import { machine, assemble, RAM_BASE, type Machine } from "./harness.js";
import type { CpuOptions } from "../../../src/arch/arm64/index.js";

export const L0 = RAM_BASE + 0x100000;
export const L1 = RAM_BASE + 0x101000;
export const L2 = RAM_BASE + 0x102000;
export const L3 = RAM_BASE + 0x103000;
export const K0 = RAM_BASE + 0x104000; // TTBR1 L0
export const K1 = RAM_BASE + 0x105000; // TTBR1 L1

export const AF = 1n << 10n;
export const SH = 3n << 8n;
export const AP_RO = 2n << 6n; // EL1 read-only, no EL0
export const AP_EL0_RW = 1n << 6n;
export const UXN = 1n << 54n;
export const PXN = 1n << 53n;

export const TCR = 16n | (16n << 16n) | (2n << 30n) | (2n << 32n);
export const KVA = 0xffff_8000_0000_0000n;

export function put(m: Machine, ipa: number, value: bigint): void {
  m.mem.view.setBigUint64(ipa - RAM_BASE, value, true);
}

/** Tables: identity 4 KiB pages for the first 2 MiB (code, data), a 2 MiB block at +2 MiB, KVA -> RAM block. */
export function buildTables(m: Machine): void {
  put(m, L0, BigInt(L1) | 3n);
  put(m, L1 + 8, BigInt(L2) | 3n); // VA[38:30] = 1 (0x4000_0000)
  put(m, L2, BigInt(L3) | 3n);
  for (let i = 0; i < 512; i++) put(m, L3 + 8 * i, BigInt(RAM_BASE + i * 4096) | 3n | AF | SH);
  put(m, L2 + 8, BigInt(RAM_BASE + 0x200000) | 1n | AF | SH | UXN | PXN); // 2 MiB block, never executable
  // Special pages inside the first 2 MiB, at +0x80000..:
  put(m, L3 + 8 * 0x80, BigInt(RAM_BASE + 0x80000) | 3n | AF | SH | AP_RO); // read-only
  put(m, L3 + 8 * 0x81, BigInt(RAM_BASE + 0x81000) | 3n | SH); // access flag clear
  put(m, L3 + 8 * 0x82, BigInt(RAM_BASE + 0x82000) | 3n | AF | SH | AP_EL0_RW | PXN); // EL0 data
  put(m, L3 + 8 * 0x83, 0n); // invalid
  put(m, L3 + 8 * 0x84, BigInt(RAM_BASE + 0x84000) | 3n | AF | SH | AP_EL0_RW); // EL0 code (EL1 PXN implied)
  put(m, K0 + 8 * 256, BigInt(K1) | 3n);
  put(m, K1, BigInt(RAM_BASE) | 1n | AF | SH); // 1 GiB block
}

export function vectors(): string {
  const entries = Array.from(
    { length: 16 },
    (_, i) =>
      `.balign 128\n mrs x20, esr_el1\n mrs x21, far_el1\n mrs x22, elr_el1\n mrs x23, par_el1\n hvc #${0x100 + i}`,
  ).join("\n");
  return `.balign 2048\nvectors:\n${entries}\n`;
}

export function mmuMachine(body: string, options: Partial<CpuOptions> = {}): Machine {
  const code = assemble(`
  b main
${vectors()}
main:
  adr x0, vectors
  msr vbar_el1, x0
  ldr x0, =${L0}
  msr ttbr0_el1, x0
  ldr x0, =${K0}
  msr ttbr1_el1, x0
  ldr x0, =${TCR}
  msr tcr_el1, x0
  mov x0, #0xff
  msr mair_el1, x0
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1
  msr sctlr_el1, x0
  isb
${body}
  hvc #0x77
  .ltorg
`);
  const m = machine(code, options);
  buildTables(m);
  return m;
}

export function run(m: Machine): number {
  const e = m.cpu.run(100000);
  assert.equal(
    e.kind,
    "hvc",
    JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v)),
  );
  return e.kind === "hvc" ? e.imm : -1;
}

export const X = (m: Machine, n: number): bigint => m.cpu.getX(n);
export const DABT = (iss: bigint): bigint => (0x25n << 26n) | (1n << 25n) | iss;
