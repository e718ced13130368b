// Alignment faults on Device memory (Arm ARM B2.5.2, D8.2.10; AArch64.FirstStageTranslate
// checks "unaligned data access to Device memory" after the stage-1 walk and before the
// permission check and stage 2). With SCTLR_EL1.M = 0 every data access is Device, and
// with the MMU on a MAIR attribute 0b0000xxxx is Device: a misaligned access must be an
// Alignment fault at EL1 (ESR DFSC 0x21) whether the page is RAM or has no stage-2
// backing (MMIO), so the hypervisor never sees it. Aligned MMIO still exits, and user
// mode keeps Normal-memory semantics.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  machine,
  assemble,
  haveAssembler,
  SKIP_NO_AS,
  RAM_BASE,
  flatMemory,
  type Machine,
} from "./harness.js";
import { createCpu, type CpuOptions } from "../../../src/arch/arm64/index.js";

const skip = !haveAssembler() && SKIP_NO_AS;

const VBAR_HVC_BASE = 0x100;
/** Synchronous exception from the current EL with SP_ELx: vector entry 4. */
const SYNC_CURRENT = VBAR_HVC_BASE + 4;
const ALIGN_READ = 0x9600_0021n;
const ALIGN_WRITE = 0x9600_0061n;

const MMIO_PAGE = RAM_BASE + 0x300000; // a stage-2 hole: no backing, like an MMIO page
const DEVICE_RAM = RAM_BASE + 0x90000; // RAM mapped as Device with the MMU on
const READONLY_DEVICE = RAM_BASE + 0x91000;
const NORMAL_RAM = RAM_BASE + 0x92000;

// Stage-1 tables (MMU-on tests): identity map of the first 2 MiB with 4 KiB pages, and
// an L2 entry covering MMIO_PAGE's 2 MiB through a second L3 table.
const L0 = RAM_BASE + 0x100000;
const L1 = RAM_BASE + 0x101000;
const L2 = RAM_BASE + 0x102000;
const L3 = RAM_BASE + 0x103000;
const L3B = RAM_BASE + 0x104000;
const AF = 1n << 10n;
const SH = 3n << 8n;
const AP_RO = 2n << 6n;
const ATTR_NORMAL = 0n << 2n; // MAIR index 0 = 0xff
const ATTR_DEVICE = 1n << 2n; // MAIR index 1 = 0x00 (Device-nGnRnE)
const MAIR = 0x00ffn;
const TCR = 16n | (16n << 16n) | (2n << 30n) | (2n << 32n);

function vectors(): string {
  const entries = Array.from(
    { length: 16 },
    (_, i) =>
      `.balign 128\n mrs x20, esr_el1\n mrs x21, far_el1\n mrs x22, elr_el1\n hvc #${VBAR_HVC_BASE + i}`,
  ).join("\n");
  return `.balign 2048\nvectors:\n${entries}\n`;
}

function put(m: Machine, ipa: number, value: bigint): void {
  m.mem.view.setBigUint64(ipa - RAM_BASE, value, true);
}

function page(pa: number, attrs: bigint): bigint {
  return BigInt(pa) | 3n | AF | SH | attrs;
}

function buildTables(m: Machine): void {
  put(m, L0, BigInt(L1) | 3n);
  put(m, L1 + 8, BigInt(L2) | 3n); // VA[38:30] = 1: 0x4000_0000..
  put(m, L2, BigInt(L3) | 3n);
  for (let i = 0; i < 512; i++) put(m, L3 + 8 * i, page(RAM_BASE + i * 4096, ATTR_NORMAL));
  put(m, L3 + 8 * 0x90, page(DEVICE_RAM, ATTR_DEVICE));
  put(m, L3 + 8 * 0x91, page(READONLY_DEVICE, ATTR_DEVICE | AP_RO));
  put(m, L2 + 8, BigInt(L3B) | 3n); // 0x4020_0000..
  put(m, L3B + 8 * 0x100, page(MMIO_PAGE, ATTR_DEVICE));
  put(m, L3B + 8 * 0x101, page(MMIO_PAGE + 0x1000, ATTR_NORMAL));
}

/** EL1 with VBAR set; the MMU on (with the tables above) when `mmu`. */
function bench(body: string, mmu: boolean, options: Partial<CpuOptions> = {}): Machine {
  const enable = mmu
    ? `
  ldr x0, =${L0}
  msr ttbr0_el1, x0
  ldr x0, =${TCR}
  msr tcr_el1, x0
  ldr x0, =${MAIR}
  msr mair_el1, x0
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1
  msr sctlr_el1, x0
  isb`
    : "";
  const m = machine(
    assemble(`
  b main
${vectors()}
main:
  adr x0, vectors
  msr vbar_el1, x0
  mov x0, #(3 << 20)
  msr cpacr_el1, x0
${enable}
${body}
  hvc #0x77
  .ltorg
`),
    options,
  );
  if (mmu) buildTables(m);
  m.mem.holes.add(MMIO_PAGE / 4096);
  m.mem.holes.add(MMIO_PAGE / 4096 + 1);
  return m;
}

function show(e: unknown): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? v.toString(16) : v));
}

/** Runs to the first exit; it must be the alignment fault's vector with this ESR and FAR. */
function expectAlignmentFault(m: Machine, esr: bigint, far: number): void {
  const e = m.cpu.run(10000);
  assert.deepEqual(e, { kind: "hvc", imm: SYNC_CURRENT }, show(e));
  assert.equal(m.cpu.getX(20), esr, `ESR 0x${m.cpu.getX(20).toString(16)}`);
  assert.equal(m.cpu.getX(21), BigInt(far));
}

function load(addr: number, insn: string): string {
  return `  ldr x1, =${addr}\n  ${insn}`;
}

const MISALIGNED: readonly [string, number, bigint][] = [
  ["ldr w2, [x1]", 2, ALIGN_READ],
  ["ldr x2, [x1]", 4, ALIGN_READ],
  ["ldrh w2, [x1]", 1, ALIGN_READ],
  ["str w2, [x1]", 2, ALIGN_WRITE],
  ["str x2, [x1]", 0xffc, ALIGN_WRITE], // also crosses into the next page
  ["ldp w2, w3, [x1]", 2, ALIGN_READ],
];

test(
  "MMU off: misaligned accesses to an unbacked (MMIO) page are Alignment faults at EL1, never exits",
  { skip },
  () => {
    for (const [insn, off, esr] of MISALIGNED) {
      const m = bench(load(MMIO_PAGE + off, insn), false);
      expectAlignmentFault(m, esr, MMIO_PAGE + off);
    }
  },
);

test("MMU off: a misaligned access to RAM faults the same way; bytes never do", { skip }, () => {
  expectAlignmentFault(
    bench(load(NORMAL_RAM + 2, "ldr w2, [x1]"), false),
    ALIGN_READ,
    NORMAL_RAM + 2,
  );
  const m = bench(load(NORMAL_RAM + 3, "ldrb w2, [x1]"), false);
  m.mem.bytes[NORMAL_RAM + 3 - RAM_BASE] = 0x5a;
  assert.deepEqual(m.cpu.run(10000), { kind: "hvc", imm: 0x77 });
  assert.equal(m.cpu.getX(2), 0x5an);
});

test(
  "MMU off: an aligned access to an unbacked page still ends in a stage2-abort exit",
  { skip },
  () => {
    for (const [insn, size, isWrite] of [
      ["ldr w2, [x1]", 4, false],
      ["str x2, [x1]", 8, true],
      ["ldrb w2, [x1]", 1, false],
    ] as const) {
      const m = bench(load(MMIO_PAGE + 8, insn), false);
      const e = m.cpu.run(10000);
      assert.equal(e.kind, "stage2-abort", show(e));
      if (e.kind !== "stage2-abort") continue;
      assert.equal(e.abort.ipa, MMIO_PAGE + 8);
      assert.equal(e.abort.size, size);
      assert.equal(e.abort.isWrite, isWrite);
      assert.equal(e.abort.syndromeValid, true);
    }
  },
);

test("MMU on: misaligned accesses to Device mappings fault, RAM-backed or MMIO", { skip }, () => {
  for (const base of [DEVICE_RAM, MMIO_PAGE]) {
    for (const [insn, off, esr] of MISALIGNED) {
      if (off === 0xffc) continue; // the page after each Device page is mapped differently
      const m = bench(load(base + off, insn), true);
      expectAlignmentFault(m, esr, base + off);
    }
  }
});

test("MMU on: the Device alignment fault has priority over the permission fault", { skip }, () => {
  const m = bench(load(READONLY_DEVICE + 2, "str w2, [x1]"), true);
  expectAlignmentFault(m, ALIGN_WRITE, READONLY_DEVICE + 2);
});

test("MMU on: an access crossing from Normal into a Device page faults", { skip }, () => {
  // The page before DEVICE_RAM is Normal; the second half of the access is Device.
  const m = bench(load(DEVICE_RAM - 4, "ldr x2, [x1]"), true);
  const e = m.cpu.run(10000);
  assert.deepEqual(e, { kind: "hvc", imm: SYNC_CURRENT }, show(e));
  assert.equal(m.cpu.getX(20), ALIGN_READ);
});

test(
  "MMU on: aligned Device accesses work; Normal mappings allow misaligned accesses",
  { skip },
  () => {
    const m = bench(
      `${load(DEVICE_RAM + 8, "ldr w2, [x1]")}\n${load(NORMAL_RAM + 2, "ldr w3, [x1]")}\n${load(MMIO_PAGE + 0x1002, "str w3, [x1]")}`,
      true,
    );
    m.mem.view.setUint32(DEVICE_RAM + 8 - RAM_BASE, 0xdeadbeef, true);
    m.mem.view.setUint32(NORMAL_RAM + 2 - RAM_BASE, 0x12345678, true);
    const e = m.cpu.run(10000);
    // The misaligned store to the Normal-mapped hole passes stage 1 and reaches stage 2.
    assert.equal(e.kind, "stage2-abort", show(e));
    if (e.kind === "stage2-abort") assert.equal(e.abort.ipa, MMIO_PAGE + 0x1002);
    assert.equal(m.cpu.getX(2), 0xdeadbeefn);
    assert.equal(m.cpu.getX(3), 0x12345678n);
    // The aligned Device load to the MMIO page exits for emulation.
    const m2 = bench(load(MMIO_PAGE + 4, "ldr w2, [x1]"), true);
    const e2 = m2.cpu.run(10000);
    assert.equal(e2.kind, "stage2-abort", show(e2));
    if (e2.kind === "stage2-abort") assert.equal(e2.abort.ipa, MMIO_PAGE + 4);
  },
);

test(
  "user mode keeps Normal-memory semantics: misaligned loads and stores complete",
  { skip },
  () => {
    const mem = flatMemory();
    mem.bytes.set(
      assemble(`
  ldr x1, =${RAM_BASE + 0x8002}
  ldr x2, =0x1122334455667788
  str x2, [x1]
  ldr w3, [x1, #1]
  svc #0
  .ltorg
`),
      0,
    );
    const cpu = createCpu({ mode: "user", memory: mem });
    cpu.reset(RAM_BASE);
    const e = cpu.run(1000);
    assert.equal(e.kind, "svc", show(e));
    assert.equal(cpu.getX(3), 0x44556677n);
  },
);

test(
  "16-byte SIMD&FP accesses must be 16-byte aligned on Device memory, not on Normal",
  { skip },
  () => {
    // Done as two 8-byte halves, each aligned: the whole access is still misaligned.
    for (const [insn, esr] of [
      ["ldr q2, [x1]", ALIGN_READ],
      ["str q2, [x1]", ALIGN_WRITE],
      ["ldp q2, q3, [x1]", ALIGN_READ],
    ] as const) {
      for (const base of [NORMAL_RAM, MMIO_PAGE]) {
        expectAlignmentFault(bench(load(base + 8, insn), false), esr, base + 8);
      }
      expectAlignmentFault(bench(load(DEVICE_RAM + 8, insn), true), esr, DEVICE_RAM + 8);
    }
    const m = bench(
      `${load(NORMAL_RAM + 8, "ldr q2, [x1]")}\n  mov x2, v2.d[1]\n${load(DEVICE_RAM + 16, "ldp q3, q4, [x1]")}\n  mov x3, v4.d[0]`,
      true,
    );
    m.mem.view.setBigUint64(NORMAL_RAM + 16 - RAM_BASE, 0x0102030405060708n, true);
    m.mem.view.setBigUint64(DEVICE_RAM + 32 - RAM_BASE, 0x1112131415161718n, true);
    assert.deepEqual(m.cpu.run(10000), { kind: "hvc", imm: 0x77 });
    assert.equal(m.cpu.getX(2), 0x0102030405060708n);
    assert.equal(m.cpu.getX(3), 0x1112131415161718n);
  },
);

test(
  "JIT: misaligned SIMD&FP accesses fault on Device memory and with SCTLR.A, complete on Normal",
  { skip },
  () => {
    // Compiled code handles misaligned accesses itself once the page is in the TLB (the
    // aligned access before each fills it; the branch makes the access a unit's entry),
    // so these run the JIT's own checks.
    const jit = { jit: { threshold: 0 } };
    const enter = "  b 1f\n1:\n  ";
    const strict = "  mrs x0, sctlr_el1\n  orr x0, x0, #2\n  msr sctlr_el1, x0\n  isb";
    for (const [insn, esr] of [
      ["ldur d2, [x1, #2]", ALIGN_READ],
      ["stur s2, [x1, #2]", ALIGN_WRITE],
      ["ldr q2, [x1, #8]", ALIGN_READ],
      ["add x1, x1, #4\n  ldp d2, d3, [x1]", ALIGN_READ],
    ] as const) {
      const far = (base: number): number =>
        base + (insn.includes("#8") ? 8 : insn.includes("ldp") ? 4 : 2);
      const device = bench(`${load(DEVICE_RAM, "ldr d9, [x1]")}\n${enter}${insn}`, true, jit);
      expectAlignmentFault(device, esr, far(DEVICE_RAM));
      const checked = bench(
        `${strict}\n${load(NORMAL_RAM, "ldr d9, [x1]")}\n${enter}${insn}`,
        true,
        jit,
      );
      expectAlignmentFault(checked, esr, far(NORMAL_RAM));
    }
    const m = bench(
      `${load(NORMAL_RAM, "ldr d9, [x1]")}\n${enter}ldur d2, [x1, #2]\n  add x5, x1, #6\n  ldp s3, s4, [x5]\n  fmov x2, d2\n  fmov w3, s4`,
      true,
      jit,
    );
    m.mem.view.setBigUint64(NORMAL_RAM + 2 - RAM_BASE, 0x0102030405060708n, true);
    m.mem.view.setUint32(NORMAL_RAM + 10 - RAM_BASE, 0x11223344, true);
    assert.deepEqual(m.cpu.run(10000), { kind: "hvc", imm: 0x77 });
    assert.equal(m.cpu.getX(2), 0x0102030405060708n);
    assert.equal(m.cpu.getX(3), 0x11223344n);
    assert.ok(m.cpu.jitStats!.instructions > 0, "the JIT ran");
  },
);

/** Program prefix for the integer JIT tests: the page's read and write TLB entries filled. */
function filled(addr: number): string {
  return `${load(addr, "ldr x9, [x1]")}\n  str x9, [x1]`;
}

test("JIT: misaligned integer accesses fault on Device memory and with SCTLR.A", { skip }, () => {
  const jit = { jit: { threshold: 0 } };
  // The branch makes the access the entry of a unit compiled after the TLB was filled.
  const enter = "  b 1f\n1:\n  ";
  const strict = "  mrs x0, sctlr_el1\n  orr x0, x0, #2\n  msr sctlr_el1, x0\n  isb";
  for (const [insn, off, esr] of [
    ["ldur x2, [x1, #2]", 2, ALIGN_READ],
    ["stur w2, [x1, #2]", 2, ALIGN_WRITE],
    ["ldurh w2, [x1, #1]", 1, ALIGN_READ],
    ["add x1, x1, #4\n  ldp x2, x3, [x1]", 4, ALIGN_READ],
    ["add x1, x1, #4\n  stp x2, x3, [x1]", 4, ALIGN_WRITE],
    ["mov x3, #6\n  ldr w2, [x1, x3]", 6, ALIGN_READ],
  ] as const) {
    const device = bench(`${filled(DEVICE_RAM)}\n${enter}${insn}`, true, jit);
    expectAlignmentFault(device, esr, DEVICE_RAM + off);
    const checked = bench(`${strict}\n${filled(NORMAL_RAM)}\n${enter}${insn}`, true, jit);
    expectAlignmentFault(checked, esr, NORMAL_RAM + off);
    const mmuOff = bench(`${filled(NORMAL_RAM)}\n${enter}${insn}`, false, jit);
    expectAlignmentFault(mmuOff, esr, NORMAL_RAM + off);
  }
});

test("JIT: misaligned integer accesses to Normal memory run in compiled code", { skip }, () => {
  // The same accesses misaligned and aligned: both must leave compiled code for the
  // interpreter equally often (only to fill the TLB), and load and store the bytes.
  const accesses = (d: number): string => `
  ldr x2, [x1, #${8 + d}]
  ldur w3, [x1, #${0x10 + d}]
  ldrh w4, [x1, #${0x20 + 2 * d}]
  add x7, x1, #${0x40 + d}
  ldp x5, x6, [x7]
  mov x8, #${0x60 + d}
  ldr x10, [x1, x8]
  add x12, x1, #${0x108 + d}
  str x2, [x12]
  stp x5, x6, [x7, #0x100]
  add x11, x1, #${0x120 + d}
  strh w4, [x11]`;
  const run = (d: number): Machine => {
    const m = bench(`${filled(NORMAL_RAM)}\n  b 1f\n1:${accesses(d)}`, true, {
      jit: { threshold: 0 },
    });
    for (let i = 0; i < 0x80; i++) m.mem.bytes[NORMAL_RAM - RAM_BASE + i] = (i * 37 + 11) & 0xff;
    assert.deepEqual(m.cpu.run(10000), { kind: "hvc", imm: 0x77 });
    return m;
  };
  const aligned = run(0);
  const m = run(3);
  const le = (at: number, n: number): bigint => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--)
      v = (v << 8n) | BigInt(m.mem.bytes[NORMAL_RAM - RAM_BASE + at + i]!);
    return v;
  };
  const was = (at: number, n: number): bigint => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(((at + i) * 37 + 11) & 0xff);
    return v;
  };
  assert.equal(m.cpu.getX(2), was(11, 8));
  assert.equal(m.cpu.getX(3), was(0x13, 4));
  assert.equal(m.cpu.getX(4), was(0x26, 2));
  assert.equal(m.cpu.getX(5), was(0x43, 8));
  assert.equal(m.cpu.getX(6), was(0x4b, 8));
  assert.equal(m.cpu.getX(10), was(0x63, 8));
  assert.equal(le(0x10b, 8), was(11, 8));
  assert.equal(le(0x143, 8), was(0x43, 8));
  assert.equal(le(0x14b, 8), was(0x4b, 8));
  assert.equal(le(0x123, 2), was(0x26, 2));
  const interpreted = (x: Machine): number => x.cpu.jitStats!.exits.interpret;
  assert.equal(interpreted(m), interpreted(aligned), "misaligned accesses left compiled code");
});

test(
  "JIT: an access crossing into a page mapped elsewhere reads and writes both pages",
  { skip },
  () => {
    // VA page NORMAL_RAM + 0x2000 maps PA NORMAL_RAM + 0x4000: the host bytes after the
    // first page are not the access's second half, so compiled code must not do it alone.
    const first = NORMAL_RAM + 0x1000;
    const m = bench(
      `${filled(first)}\n  ldr x9, [x1, #0x1000]\n  str x9, [x1, #0x1000]\n  b 1f\n1:
  add x7, x1, #0xff8
  ldur x2, [x7, #4]
  ldp w3, w4, [x7, #4]
  ldr x5, =0x1122334455667788
  stur x5, [x7, #2]`,
      true,
      { jit: { threshold: 0 } },
    );
    put(m, L3 + 8 * 0x94, page(NORMAL_RAM + 0x4000, ATTR_NORMAL));
    const at = (pa: number): number => pa - RAM_BASE;
    m.mem.view.setUint32(at(first + 0xffc), 0xa1a2a3a4, true);
    m.mem.view.setUint32(at(NORMAL_RAM + 0x4000), 0xb1b2b3b4, true);
    m.mem.view.setUint32(at(NORMAL_RAM + 0x2000), 0xdeadbeef, true); // not mapped here
    assert.deepEqual(m.cpu.run(10000), { kind: "hvc", imm: 0x77 });
    assert.equal(m.cpu.getX(2), 0xb1b2b3b4a1a2a3a4n);
    assert.equal(m.cpu.getX(3), 0xa1a2a3a4n);
    assert.equal(m.cpu.getX(4), 0xb1b2b3b4n);
    assert.equal(
      m.mem.view.getBigUint64(at(first + 0xffa), true) & 0xffffffffffffn,
      0x334455667788n,
    );
    assert.equal(m.mem.view.getUint16(at(NORMAL_RAM + 0x4000), true), 0x1122);
    assert.equal(m.mem.view.getUint32(at(NORMAL_RAM + 0x2000), true), 0xdeadbeef);
  },
);
