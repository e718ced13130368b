// TLB misses of compiled loads and stores filled without leaving the unit
// (src/arch/arm64/jit/tlb-fill.ts, mmu/memory.ts fillForJit). Every program runs under
// both tiers (test/tiers.ts) and must end in the same state: the exit, PC, X0-X30, SP,
// PSTATE, V0-V31, the instruction count and the data pages' bytes. The JIT pass must
// have filled misses in its units (`jitStats.exits.filled`), so these tests fail if
// the fill path is gone, and the faults are also checked against the Arm ARM's
// encodings (ESR_EL1 EC 0x25, DFSC; FAR the access's address), not only against the
// interpreter.

import { test } from "node:test";
import assert from "node:assert/strict";
import { machine, assemble, haveAssembler, SKIP_NO_AS, RAM_BASE, type Machine } from "./harness.js";
import { cpuJit, TIERS, type Tier } from "../../tiers.js";
import type { CpuExit } from "../../../src/arch/arm64/index.js";

const skip = !haveAssembler() && SKIP_NO_AS;

const VEC_HVC = 0x100;
/** Synchronous exception from the current EL with SP_ELx: vector entry 4. */
const SYNC_CURRENT = VEC_HVC + 4;
const DONE = 0x77;

const L0 = RAM_BASE + 0x100000;
const L1 = RAM_BASE + 0x101000;
const L2 = RAM_BASE + 0x102000;
const L3 = RAM_BASE + 0x103000;
/** Data pages, one per case, identity-mapped Normal read/write unless listed below. */
const DATA = RAM_BASE + 0x80000;
const PAGES = 16;
const RO = DATA + 0x8000; // stage 1 read-only (AP[2])
const UNMAPPED = DATA + 0x9000; // invalid L3 descriptor
const NO_AF = DATA + 0xa000; // AF clear: an Access flag fault (no hardware AF update)
const DEVICE = DATA + 0xb000; // MAIR Device-nGnRnE
const MMIO = DATA + 0xc000; // a stage-2 hole, mapped Normal at stage 1
const S2_RO = DATA + 0xd000; // read-only at stage 2
/** VA 0x4020_0000.. goes through an L3 table that lies in a stage-2 hole. */
const WALK_HOLE_VA = RAM_BASE + 0x200000;
const WALK_HOLE_TABLE = RAM_BASE + 0x3ff000;

const AF = 1n << 10n;
const SH = 3n << 8n;
const AP_RO = 2n << 6n;
const ATTR_DEVICE = 1n << 2n; // MAIR index 1 = 0x00
const MAIR = 0x00ffn;
const TCR = 16n | (16n << 16n) | (2n << 30n) | (2n << 32n);

function put(m: Machine, ipa: number, value: bigint): void {
  m.mem.view.setBigUint64(ipa - RAM_BASE, value, true);
}

function buildTables(m: Machine): void {
  put(m, L0, BigInt(L1) | 3n);
  put(m, L1 + 8, BigInt(L2) | 3n);
  put(m, L2, BigInt(L3) | 3n);
  put(m, L2 + 8, BigInt(WALK_HOLE_TABLE) | 3n);
  for (let i = 0; i < 512; i++) put(m, L3 + 8 * i, BigInt(RAM_BASE + i * 4096) | 3n | AF | SH);
  const entry = (va: number): number => L3 + 8 * ((va - RAM_BASE) / 4096);
  put(m, entry(RO), BigInt(RO) | 3n | AF | SH | AP_RO);
  put(m, entry(UNMAPPED), 0n);
  put(m, entry(NO_AF), BigInt(NO_AF) | 3n | SH);
  put(m, entry(DEVICE), BigInt(DEVICE) | 3n | AF | ATTR_DEVICE);
  m.mem.holes.add(MMIO / 4096);
  m.mem.holes.add(WALK_HOLE_TABLE / 4096);
  m.mem.readOnly.add(S2_RO / 4096);
  for (let i = 0; i < PAGES * 512; i++)
    put(m, DATA + 8 * i, 0x0101010101010101n * BigInt(i & 0xff) + BigInt(i));
}

function vectors(): string {
  const entries = Array.from(
    { length: 16 },
    (_, i) =>
      `.balign 128\n mrs x20, esr_el1\n mrs x21, far_el1\n mrs x22, elr_el1\n hvc #${VEC_HVC + i}`,
  ).join("\n");
  return `.balign 2048\nvectors:\n${entries}\n`;
}

/**
 * EL1, MMU on with the tables above, FP enabled; then `body` from the start of a code
 * page (a unit never crosses one), entered by a branch within the page so that it is
 * a unit's entry (the first arrival at a page is the interpreter's), then HVC #DONE.
 */
function program(body: string): Uint8Array {
  return assemble(`
  b main
${vectors()}
main:
  adr x0, vectors
  msr vbar_el1, x0
  mov x0, #(3 << 20)
  msr cpacr_el1, x0
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
  isb
  b 1f
  .balign 4096
1:
  b 2f
2:
${body}
  hvc #${DONE}
  .ltorg
`);
}

interface Outcome {
  exit: string;
  state: string;
  vregs: string;
  retired: number;
  data: string;
  filled: number;
  interpret: number;
}

function show(e: CpuExit): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? v.toString(16) : v));
}

function run(body: string, tier: Tier, budget = 10000): Outcome & { m: Machine } {
  const m = machine(program(body), { jit: cpuJit(tier) });
  buildTables(m);
  const exit = m.cpu.run(budget);
  const data = Buffer.from(m.mem.bytes.subarray(DATA - RAM_BASE, DATA - RAM_BASE + PAGES * 4096));
  return {
    m,
    exit: show(exit),
    state: m.cpu.traceState(),
    vregs: Buffer.from(m.cpu.vregs).toString("hex"),
    retired: m.cpu.instructionsRetired,
    data: data.toString("base64"),
    filled: m.cpu.jitStats?.exits.filled ?? 0,
    interpret: m.cpu.jitStats?.exits.interpret ?? 0,
  };
}

/** Runs `body` under both tiers; they must agree on everything; returns the JIT's run. */
function bothTiers(body: string): Outcome & { m: Machine } {
  const [interp, jit] = TIERS.map((t) => run(body, t));
  const strip = ({ exit, state, vregs, retired, data }: Outcome) => ({
    exit,
    state,
    vregs,
    retired,
    data,
  });
  assert.deepEqual(strip(jit!), strip(interp!), "the JIT tier differs from the interpreter");
  assert.ok(jit!.m.cpu.jitStats!.instructions > 0, "the JIT ran compiled code");
  return jit!;
}

/** Loads and stores of every emitted kind, each the first touch of its page. */
const ACCESSES = `
  ldr x1, =${DATA}
  ldr x2, [x1, #8]
  add x3, x2, #1
  ldr x4, =${DATA + 0x1000}
  str x3, [x4, #16]
  ldp x5, x6, [x4, #0xf8]
  ldr x7, =${DATA + 0x2000}
  stp x5, x6, [x7, #32]!
  ldrb w8, [x7, #3]
  ldrsh x9, [x7, #6]
  ldr x10, =${DATA + 0x3000}
  ldar w11, [x10]
  add x11, x11, #5
  stlr w11, [x10, #0]
  ldr x12, =${DATA + 0x4000}
  ldr q0, [x12, #16]
  ldur d1, [x12, #36]
  ldr x13, =${DATA + 0x5000}
  stp q0, q1, [x13, #64]
  ldr x14, =${DATA + 0x6003}
  ldr x15, [x14]
  mov x16, #0x10
  ldr x17, =${DATA + 0x7000}
  ldr w18, [x17, x16]
  strh w18, [x17, #0x202]
  add x19, x2, x15`;

test(
  "a unit's loads and stores that miss the TLB are filled and the unit goes on",
  { skip },
  () => {
    const jit = bothTiers(ACCESSES);
    assert.equal(jit.exit, show({ kind: "hvc", imm: DONE }));
    // 8 data pages, 12 first touches of a (page, read/write) TLB set.
    assert.equal(jit.filled, 12);
    // The same program with every data access a NOP leaves compiled code as often.
    const nops = ACCESSES.split("\n")
      .map((l) => (/\[/.test(l) ? "  nop" : l))
      .join("\n");
    const without = run(nops, "jit");
    assert.equal(jit.interpret, without.interpret, "a TLB miss left the unit");
    const m = jit.m;
    const was = (va: number): bigint => m.mem.view.getBigUint64(va - RAM_BASE, true);
    assert.equal(m.cpu.getX(2), 0x0101010101010101n + 1n);
    assert.equal(was(DATA + 0x1000 + 16), 0x0101010101010101n + 2n);
    assert.equal(
      m.cpu.getX(15),
      BigInt.asUintN(64, (was(DATA + 0x6000) >> 24n) | (was(DATA + 0x6008) << 40n)),
    );
  },
);

/** [name, the faulting access, ESR_EL1, FAR] with the MMU on at EL1 (EC 0x25, IL). */
const FAULTS: readonly [string, string, bigint, number][] = [
  [
    "translation fault, level 3, load",
    `ldr x1, =${UNMAPPED + 8}\n  ldr x2, [x1]`,
    0x9600_0007n,
    UNMAPPED + 8,
  ],
  [
    "translation fault, SIMD&FP pair",
    `ldr x1, =${UNMAPPED}\n  ldp q2, q3, [x1, #32]`,
    0x9600_0007n,
    UNMAPPED + 32,
  ],
  [
    "permission fault, level 3, store",
    `ldr x1, =${RO}\n  ldr x2, [x1]\n  str x2, [x1, #8]`,
    0x9600_004fn,
    RO + 8,
  ],
  ["permission fault, STLR", `ldr x1, =${RO + 0x10}\n  stlr w2, [x1]`, 0x9600_004fn, RO + 0x10],
  [
    "permission fault, misaligned STP",
    `ldr x1, =${RO + 3}\n  stp x2, x3, [x1]`,
    0x9600_004fn,
    RO + 3,
  ],
  ["access flag fault, level 3", `ldr x1, =${NO_AF + 4}\n  ldrh w2, [x1]`, 0x9600_000bn, NO_AF + 4],
  [
    "alignment fault, Device",
    `ldr x1, =${DEVICE}\n  ldr x2, [x1]\n  ldr w3, [x1, #2]`,
    0x9600_0021n,
    DEVICE + 2,
  ],
  [
    "alignment fault, LDAR",
    `ldr x1, =${DATA + 0xe001}\n  ldar w2, [x1]`,
    0x9600_0021n,
    DATA + 0xe001,
  ],
];

for (const [name, access, esr, far] of FAULTS) {
  test(`a fault on a filled access mid-unit is the interpreter's: ${name}`, { skip }, () => {
    // Accesses before it in the same unit are filled first; the registers they set
    // must survive, and the fault must be taken at the faulting instruction.
    const jit = bothTiers(`${ACCESSES}\n  mov x23, #1\n  ${access}\n  mov x24, #1`);
    assert.equal(jit.exit, show({ kind: "hvc", imm: SYNC_CURRENT }));
    assert.ok(jit.filled >= 12, `filled ${jit.filled}`);
    const cpu = jit.m.cpu;
    assert.equal(cpu.getX(20), esr, `ESR 0x${cpu.getX(20).toString(16)}`);
    assert.equal(cpu.getX(21), BigInt(far), `FAR 0x${cpu.getX(21).toString(16)}`);
    assert.equal(cpu.getX(23), 1n);
    assert.equal(cpu.getX(24), 0n);
  });
}

test("stage-2 misses leave for the hypervisor with the interpreter's syndrome", { skip }, () => {
  for (const [access, ipa, isWrite, isTableWalk] of [
    [`ldr x1, =${MMIO + 0x10}\n  ldr w2, [x1]`, MMIO + 0x10, false, false],
    [`ldr x1, =${S2_RO}\n  ldr x2, [x1]\n  str x2, [x1, #8]`, S2_RO + 8, true, false],
    [`ldr x1, =${WALK_HOLE_VA + 0x40}\n  ldr x2, [x1]`, WALK_HOLE_TABLE, false, true],
  ] as const) {
    const jit = bothTiers(`${ACCESSES}\n  ${access}`);
    const exit = JSON.parse(jit.exit) as { kind: string; abort: Record<string, unknown> };
    assert.equal(exit.kind, "stage2-abort", jit.exit);
    assert.equal(exit.abort["ipa"], ipa, jit.exit);
    assert.equal(exit.abort["isWrite"], isWrite, jit.exit);
    assert.equal(exit.abort["isTableWalk"], isTableWalk, jit.exit);
    assert.ok(jit.filled >= 12, `filled ${jit.filled}`);
  }
});

test("a page outside the arena is filled for the interpreter only", { skip }, () => {
  // Same final state; the miss on the foreign page is not counted as filled.
  const body = `ldr x1, =${DATA}\n  ldr x2, [x1]\n  ldr x3, =${DATA + 0xf000}\n  ldr x4, [x3, #8]\n  str x4, [x3, #16]\n  add x5, x4, x2`;
  const results = TIERS.map((tier) => {
    const m = machine(program(body), { jit: cpuJit(tier) });
    buildTables(m);
    const foreign = new Uint8Array(4096);
    new DataView(foreign.buffer).setBigUint64(8, 0x1122334455667788n, true);
    const lookup = m.mem.lookup.bind(m.mem);
    m.mem.lookup = (page) =>
      page === (DATA + 0xf000) / 4096
        ? { bytes: foreign, offset: 0, read: true, write: true, exec: false }
        : lookup(page);
    const exit = m.cpu.run(10000);
    return {
      exit: show(exit),
      state: m.cpu.traceState(),
      foreign: Buffer.from(foreign).toString("hex"),
      stats: m.cpu.jitStats,
    };
  });
  const [interp, jit] = results;
  assert.deepEqual({ ...jit!, stats: undefined }, { ...interp!, stats: undefined });
  assert.equal(jit!.exit, show({ kind: "hvc", imm: DONE }));
  assert.ok(jit!.foreign.startsWith("0000000000000000" + "8877665544332211" + "8877665544332211"));
  assert.ok(jit!.stats!.exits.interpret >= 2, "the foreign page's accesses were interpreted");
});

/** DBGWCR: enabled, EL1 (PAC 0b01), loads and stores, all 8 bytes (BAS 0xff). */
const WCR = 1 | (1 << 1) | (3 << 3) | (0xff << 5);

test(
  "a watchpoint armed by the guest: the JIT steps aside and the watchpoint fires as in the interpreter",
  { skip },
  () => {
    // Compiled code fills the pages first; then the guest arms a watchpoint (OS lock
    // clear, MDSCR_EL1.MDE and KDE, PSTATE.D clear) on a page already in the TLB and
    // loads from it. While a guest watchpoint is armed InterpretOnly.GUEST_DEBUG keeps
    // compiled code out (debug.ts update), and the watched page leaves the TLB, so the
    // load reaches the interpreter's slow path, which raises the watchpoint.
    const watched = DATA + 0x2010;
    const arm = `
  ldr x1, =${watched}
  msr dbgwvr0_el1, x1
  mov x1, #${WCR}
  msr dbgwcr0_el1, x1
  msr oslar_el1, xzr
  mov x1, #(1 << 15 | 1 << 13)
  msr mdscr_el1, x1
  isb
  msr daifclr, #8
  hvc #0x55
  b 2f
2:
  ldr x1, =${DATA + 0x2000}
  ldr x25, [x1, #8]
  ldr x26, [x1, #0x10]
  mov x27, #1`;
    const outcomes = TIERS.map((tier) => {
      const m = machine(program(`${ACCESSES}\n${arm}`), { jit: cpuJit(tier) });
      buildTables(m);
      const first = show(m.cpu.run(10000));
      const before = m.cpu.jitStats?.instructions ?? 0;
      const filled = m.cpu.jitStats?.exits.filled ?? 0;
      const exit = show(m.cpu.run(10000));
      const after = m.cpu.jitStats?.instructions ?? 0;
      return {
        first,
        exit,
        state: m.cpu.traceState(),
        retired: m.cpu.instructionsRetired,
        before,
        after,
        filled,
        m,
      };
    });
    const [interp, jit] = outcomes;
    assert.equal(jit!.first, show({ kind: "hvc", imm: 0x55 }));
    assert.ok(jit!.filled >= 12, `filled ${jit!.filled} before arming`);
    assert.equal(jit!.after, jit!.before, "compiled code ran while the watchpoint was armed");
    for (const k of ["first", "exit", "state", "retired"] as const)
      assert.equal(jit![k], interp![k], k);
    assert.equal(jit!.exit, show({ kind: "hvc", imm: SYNC_CURRENT }));
    const cpu = jit!.m.cpu;
    // Watchpoint from the current EL: EC 0x35, IL, DFSC 0x22, a read; FAR the access.
    assert.equal(cpu.getX(20), 0xd600_0022n, `ESR 0x${cpu.getX(20).toString(16)}`);
    assert.equal(cpu.getX(21), BigInt(watched));
    assert.equal(cpu.getX(25), jit!.m.mem.view.getBigUint64(DATA + 0x2008 - RAM_BASE, true));
    assert.equal(cpu.getX(27), 0n);
  },
);

test("fillForJit declines while a watchpoint is armed and fills nothing", { skip }, () => {
  const m = machine(
    program(
      `${ACCESSES}\n  msr oslar_el1, xzr\n  ldr x1, =${DATA + 0x9000}\n  msr dbgwvr0_el1, x1\n  mov x1, #${WCR}\n  msr dbgwcr0_el1, x1\n  mov x1, #(1 << 15 | 1 << 13)\n  msr mdscr_el1, x1\n  isb`,
    ),
    { jit: cpuJit("jit") },
  );
  buildTables(m);
  assert.equal(show(m.cpu.run(10000)), show({ kind: "hvc", imm: DONE }));
  const mem = (
    m.cpu as unknown as {
      mem: { fillForJit: (...a: unknown[]) => boolean; tagLo: Int32Array; rBase: number };
    }
  ).mem;
  const page = DATA + 0xe000;
  const i = mem.rBase | ((page >>> 12) & 1023);
  assert.equal(mem.fillForJit(page | 0, 0, 0, 8, 8, false), false);
  assert.notEqual(mem.tagLo[i], page | 0, "filled while watching");
});
