// Random-instruction differential test: for every row of the CPU's own decode table
// (integer core and FP/AdvSIMD) that is neither a branch, a system instruction nor a
// memory access, random fills of its 'x' bits run in a harness (fuzz-harness.ts) under
// qemu-aarch64 -cpu cortex-a57 and under gunyah exec; X0-X30, SP, NZCV, FPSR, FPCR and
// V0-V31 after each instruction must be equal, and a word QEMU finds UNDEFINED must be
// UNDEFINED here too. Under both CPU tiers (tiers.ts), on the same cases and the same
// QEMU run. GUNYAH_FUZZ_RUNS sets the cases per row (default 6),
// GUNYAH_FUZZ_SEED the seed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { INTEGER_ROWS } from "../../src/arch/arm64/decode/table.js";
import type { DecodeRow } from "../../src/arch/arm64/decode/row.js";
import { SIMD_ROWS } from "../../src/arch/arm64/simd/table.js";
import { defaultCpuFactory, execProgram } from "../../src/exec/index.js";
import { buildHarness, differences, parseRecord, RECORD_SIZE } from "./fuzz-harness.js";
import type { CaseInput } from "./fuzz-harness.js";
import { missingTools } from "./reference.js";
import { forEachTier } from "../tiers.js";

const skip = missingTools();
const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 6);
let seed = BigInt(process.env.GUNYAH_FUZZ_SEED ?? 0x5eed);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-fuzz-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function rand64(): bigint {
  seed ^= (seed << 13n) & 0xffff_ffff_ffff_ffffn;
  seed ^= seed >> 7n;
  seed ^= (seed << 17n) & 0xffff_ffff_ffff_ffffn;
  return seed;
}
const rand = (n: number): number => Number(rand64() % BigInt(n));

/** Rows whose execution leaves the harness: control flow, system state, memory. */
function excluded(row: DecodeRow): boolean {
  const n = row.name;
  if (/^(B|BL|B\.cond|BR|BLR|RET|ERET|CBN?Z|TBN?Z|SVC|HVC|SMC|BRK|HLT|DCPS.*)$/.test(n))
    return true;
  if (/HINT|CLREX|DSB|MSR|MRS|SYS/.test(n)) return true;
  if (/^(LD|ST|CAS|SWP|PRFM)|literal|LD\/ST|structure/.test(n)) return true;
  return false;
}

const EDGES = [
  0n,
  1n,
  2n ** 64n - 1n,
  2n ** 63n,
  2n ** 63n - 1n,
  0xffff_ffffn,
  0x8000_0000n,
  0x7fff_ffffn,
  0x80n,
];
const FP_SPECIAL = [
  0x0000_0000_0000_0000n,
  0x8000_0000_0000_0000n,
  0x7ff0_0000_0000_0000n,
  0xfff0_0000_0000_0000n,
  0x7ff8_0000_0000_0001n,
  0x7ff0_0000_0000_0001n,
  0x0000_0000_0000_0001n,
  0x3ff0_0000_0000_0000n,
  0xc000_0000_0000_0000n,
  0x7f80_0000_3f80_0000n,
  0x7fc0_0001_ff80_0000n,
  0x0000_0001_8000_0000n,
  0x3c00_7c00_fc00_7e01n,
  0x4330_0000_0000_0000n,
  0x43e0_0000_0000_0000n,
];

function randomValue(): bigint {
  const pick = rand(8);
  if (pick < 3) return EDGES[rand(EDGES.length)] ?? 0n;
  if (pick < 4) return BigInt(rand(32));
  return rand64();
}

function fillWord(pattern: string): number {
  const bits = pattern.replace(/[ _]/g, "");
  let w = 0;
  for (const ch of bits) w = ((w << 1) | (ch === "1" ? 1 : ch === "x" ? rand(2) : 0)) >>> 0;
  return w >>> 0;
}

function randomCase(row: DecodeRow): CaseInput & { row: string } {
  const v = new Uint8Array(512);
  const view = new DataView(v.buffer);
  for (let lane = 0; lane < 64; lane++)
    view.setBigUint64(
      lane * 8,
      rand(3) === 0 ? (FP_SPECIAL[rand(FP_SPECIAL.length)] ?? 0n) : rand64(),
      true,
    );
  return {
    row: row.name,
    word: fillWord(row.pattern),
    x: Array.from({ length: 31 }, randomValue),
    sp: rand64() & ~0xfn & 0x0000_ffff_ffff_fff0n,
    nzcv: rand(16) << 28,
    // RMode (23:22), FZ (24), DN (25); the other FPCR bits stay clear.
    fpcr: (rand(4) << 22) | (rand(4) === 0 ? 1 << 24 : 0) | (rand(4) === 0 ? 1 << 25 : 0),
    v,
  };
}

interface RunResult {
  readonly records: Buffer;
  /** Signal that ended the run before the last case, if any. */
  readonly signal: number | undefined;
}

const SIGNUM: Record<string, number> = { SIGILL: 4, SIGTRAP: 5, SIGBUS: 7, SIGSEGV: 11 };

function runQemu(file: string): RunResult {
  const r = spawnSync("qemu-aarch64", ["-cpu", "cortex-a57", file], { maxBuffer: 1 << 28 });
  return { records: r.stdout, signal: r.signal ? (SIGNUM[r.signal] ?? 64) : undefined };
}

function runOurs(file: string): RunResult {
  const out = path.join(dir, "ours.out");
  const fd = fs.openSync(out, "w");
  const devnull = fs.openSync("/dev/null", "r+");
  try {
    const r = execProgram({
      program: file,
      argv: [file],
      env: [],
      createCpu: defaultCpuFactory,
      stdio: { stdin: devnull, stdout: fd, stderr: devnull },
    });
    if (!r.ok) throw new Error(r.error);
    const end = r.value.end;
    return {
      records: fs.readFileSync(out),
      signal: end.kind === "signal" ? end.signal : undefined,
    };
  } finally {
    fs.closeSync(fd);
    fs.closeSync(devnull);
  }
}

/** Runs `cases` from the first on, restarting after each case that kills the harness. */
function runAll(
  cases: readonly CaseInput[],
  runner: (file: string) => RunResult,
  tag: string,
): { outputs: Map<number, Buffer>; faults: Map<number, number> } {
  const outputs = new Map<number, Buffer>();
  const faults = new Map<number, number>();
  let start = 0;
  while (start < cases.length) {
    const file = path.join(dir, `${tag}-${start}.elf`);
    fs.writeFileSync(file, buildHarness(cases.slice(start), start), { mode: 0o755 });
    const r = runner(file);
    const done = Math.floor(r.records.length / RECORD_SIZE);
    for (let i = 0; i < done; i++)
      outputs.set(start + i, r.records.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE));
    fs.rmSync(file);
    if (start + done >= cases.length) break;
    faults.set(start + done, r.signal ?? 0);
    start += done + 1;
  }
  return { outputs, faults };
}

/** The cases and QEMU's run of them, made once and shared by both tiers. */
let shared:
  | {
      rows: DecodeRow[];
      cases: (CaseInput & { row: string })[];
      reference: ReturnType<typeof runAll>;
    }
  | undefined;
function referenceRun(): NonNullable<typeof shared> {
  if (!shared) {
    const rows = [...INTEGER_ROWS, ...SIMD_ROWS].filter((r) => !excluded(r));
    const cases = rows.flatMap((row) => Array.from({ length: RUNS }, () => randomCase(row)));
    shared = { rows, cases, reference: runAll(cases, runQemu, "qemu") };
  }
  return shared;
}

forEachTier((tier, run) =>
  test(
    `random instructions from every decode row agree with qemu-aarch64 (${tier})`,
    { skip, timeout: 120_000 },
    () => {
      const { rows, cases, reference } = referenceRun();
      // Our CPU runs the cases QEMU completed (a faulting word becomes a NOP, so every
      // case keeps its address); each word QEMU faulted on then runs alone.
      const NOP = 0xd503201f;
      const clean = cases.map((c, i) => ({ c, i }));
      const mine = run(() =>
        runAll(
          cases.map((c, i) => (reference.faults.has(i) ? { ...c, word: NOP } : c)),
          runOurs,
          "ours",
        ),
      );
      const problems: string[] = [];
      const describe = (i: number) =>
        `${cases[i]?.row} ${cases[i]?.word.toString(16).padStart(8, "0")}`;
      clean.forEach(({ i }, k) => {
        if (reference.faults.has(i)) return;
        const expected = reference.outputs.get(i);
        const got = mine.outputs.get(k);
        if (mine.faults.has(k))
          problems.push(`${describe(i)}: signal ${mine.faults.get(k)} here, QEMU executes it`);
        else if (expected && got) {
          const diff = differences(parseRecord(got), parseRecord(expected));
          if (diff.length > 0)
            problems.push(`${describe(i)}: ours/qemu ${diff.slice(0, 4).join(" ")}`);
        }
      });
      let undefinedBoth = 0;
      for (const [i, signal] of reference.faults) {
        const file = path.join(dir, "one.elf");
        fs.writeFileSync(file, buildHarness([cases[i] as CaseInput], i), { mode: 0o755 });
        const alone = { faults: new Map([[0, run(() => runOurs(file)).signal]]) };
        const mySignal = alone.faults.get(0);
        if (mySignal === signal) undefinedBoth++;
        else
          problems.push(`${describe(i)}: QEMU signal ${signal}, ours ${mySignal ?? "executes it"}`);
      }
      const summary = `${cases.length} cases over ${rows.length} rows (${RUNS} per row, seed ${process.env.GUNYAH_FUZZ_SEED ?? "0x5eed"}, ${tier}); ${undefinedBoth} faulted in both`;
      process.stderr.write(`fuzz: ${summary}; ${problems.length} disagreements\n`);
      assert.deepEqual(problems.slice(0, 40), [], `${summary}\n${problems.length} disagreements`);
    },
  ),
);
