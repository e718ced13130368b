// Random blocks differential test (blocks-gen.ts): programs of random A64 integer
// blocks (ALU, branches, loops, calls, loads and stores of every size and addressing
// mode, exclusive pairs) assembled with aarch64-linux-gnu-gcc run under qemu-aarch64
// and under gunyah exec; after every block X0-X30, NZCV and the 2 KiB data buffer it
// wrote to must be equal. Fault programs end with an access to an unmapped address:
// both must die of the same signal after the same records. Under both CPU tiers
// (tiers.ts). GUNYAH_FUZZ_RUNS sets the blocks per program (default 40),
// GUNYAH_FUZZ_SEED the seed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { program, RECORD, Rng } from "./blocks-gen.js";
import { missingTools, ours, qemu } from "./reference.js";
import { forEachTier } from "../tiers.js";

const skip = missingTools();
const BLOCKS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 40);
const SEED = BigInt(process.env.GUNYAH_FUZZ_SEED ?? 0xb10c5);
const PROGRAMS = 5;
const FAULTING = 3;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-blocks-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function assemble(name: string, source: string): string {
  const src = path.join(dir, `${name}.S`);
  const elf = path.join(dir, name);
  fs.writeFileSync(src, source);
  const r = spawnSync(
    "aarch64-linux-gnu-gcc",
    ["-nostdlib", "-static", "-no-pie", "-o", elf, src],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`assembling ${name} failed:\n${r.stderr}`);
  return elf;
}

/** The programs: PROGRAMS plain ones, then FAULTING ones with a few blocks and a fault. */
function build(): { name: string; elf: string; blocks: number }[] {
  if (skip) return [];
  const rng = new Rng(SEED);
  const out: { name: string; elf: string; blocks: number }[] = [];
  for (let p = 0; p < PROGRAMS + FAULTING; p++) {
    const fault = p >= PROGRAMS;
    const blocks = fault ? 1 + rng.int(4) : BLOCKS;
    const name = `blocks-${p}`;
    out.push({ name, elf: assemble(name, program(rng, blocks, fault)), blocks });
  }
  return out;
}

const programs = build();
const references = new Map(programs.map((p) => [p.name, qemu(p.elf, [])]));

/** The first block whose record differs, with the registers or buffer bytes that do. */
function firstDifference(mine: Buffer, expected: Buffer): string | undefined {
  const count = Math.max(mine.length, expected.length) / RECORD;
  for (let k = 0; k < count; k++) {
    const a = mine.subarray(k * RECORD, (k + 1) * RECORD);
    const b = expected.subarray(k * RECORD, (k + 1) * RECORD);
    if (a.equals(b)) continue;
    if (a.length !== b.length) return `block ${k}: record missing here or there`;
    const diffs: string[] = [];
    for (let i = 0; i < 32; i++) {
      const x = a.readBigUInt64LE(i * 8);
      const y = b.readBigUInt64LE(i * 8);
      if (x !== y) diffs.push(`${i === 31 ? "NZCV" : `X${i}`}=${x.toString(16)}/${y.toString(16)}`);
    }
    for (let i = 256; i < RECORD; i++)
      if (a[i] !== b[i]) diffs.push(`buf[${i - 256}]=${a[i]?.toString(16)}/${b[i]?.toString(16)}`);
    return `block ${k} (ours/qemu): ${diffs.slice(0, 8).join(" ")}`;
  }
  return undefined;
}

forEachTier((tier, run) => {
  test(`random blocks agree with qemu-aarch64 (${tier})`, { skip, timeout: 120_000 }, async () => {
    const problems: string[] = [];
    let blocks = 0;
    let faults = 0;
    for (const p of programs) {
      const expected = await references.get(p.name);
      assert.ok(expected);
      const mine = run(() => ours(p.elf, []));
      const diff = firstDifference(mine.stdout, expected.stdout);
      if (diff) problems.push(`${p.name}: ${diff}`);
      if (mine.status !== expected.status)
        problems.push(`${p.name}: exit ${mine.status} here, ${expected.status} under QEMU`);
      blocks += expected.stdout.length / RECORD;
      if (expected.status !== 0) faults++;
    }
    const summary = `${blocks} blocks in ${programs.length} programs, ${faults} ending in a fault (seed 0x${SEED.toString(16)}, ${tier})`;
    process.stderr.write(`blocks: ${summary}; ${problems.length} disagreements\n`);
    assert.equal(faults, FAULTING, "every fault program dies of a signal under QEMU");
    assert.equal(blocks, PROGRAMS * BLOCKS + sumFaultBlocks(), summary);
    assert.deepEqual(problems, [], summary);
  });
});

function sumFaultBlocks(): number {
  return programs.slice(PROGRAMS).reduce((n, p) => n + p.blocks, 0);
}
