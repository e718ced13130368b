// Random blocks at EL1 against qemu-system-aarch64, under both CPU tiers: the blocks of
// test/exec/blocks-gen.ts (ALU and flags, branches forward and back, CBZ/TBZ, calls,
// loads and stores of every size and addressing mode, pairs, misaligned accesses,
// exclusives with CLREX) as a bare-metal guest (guests/blocks/driver.c) with the MMU
// off, plus loads and stores to unbacked addresses anywhere in a block: each is a
// synchronous abort whose ESR, FAR and ELR the guest's vector prints before stepping
// over it. After each block X0-X30, NZCV and a checksum of the data buffer are printed;
// gunyah-ts (`gunyah run --kernel`, the interpreter alone and the JIT at threshold 0)
// must print what QEMU's cortex-a57 prints. Fixed seeds; GUNYAH_FUZZ_SEED sets the
// first, GUNYAH_BLOCK_GUESTS how many guests (default 2), GUNYAH_FUZZ_RUNS the blocks
// per guest (default 30).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { bareProgram, Rng } from "../exec/blocks-gen.js";
import { TIERS } from "../tiers.js";
import { RAM_MIB, runBinOnGunyah, runElfOnQemu, skipReason } from "./harness.js";

const root = path.resolve(import.meta.dirname, "..", "..");
const conformance = path.join(root, "guests/conformance");
const SEED = BigInt(process.env["GUNYAH_FUZZ_SEED"] ?? 0xe11b10c);
const GUESTS = Number(process.env["GUNYAH_BLOCK_GUESTS"] ?? 2);
const BLOCKS = Number(process.env["GUNYAH_FUZZ_RUNS"] ?? 30);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-el1-blocks-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const CFLAGS = [
  "-march=armv8-a",
  "-mgeneral-regs-only",
  "-mstrict-align",
  "-O2",
  "-ffreestanding",
  "-fno-builtin",
  "-fno-stack-protector",
  "-fno-pic",
  "-fno-pie",
  "-nostdlib",
  "-Wall",
  "-Werror",
];

function sh(tool: string, args: readonly string[]): void {
  const r = spawnSync(tool, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")}:\n${r.stderr}`);
}

/** Builds guest `n` of the seed: its .elf (for QEMU) and .bin (for gunyah run). */
function build(n: number): { elf: string; bin: string } {
  const rng = new Rng(SEED + BigInt(n) * 0x9e37_79b9n);
  const name = path.join(dir, `blocks-${n}`);
  fs.writeFileSync(`${name}.S`, bareProgram(rng, BLOCKS));
  const objects = [
    [path.join(conformance, "start.S"), `${name}-start.o`],
    [path.join(conformance, "lib.c"), `${name}-lib.o`],
    [path.join(root, "guests/blocks/driver.c"), `${name}-driver.o`],
    [`${name}.S`, `${name}-blocks.o`],
  ] as const;
  for (const [src, obj] of objects) sh("aarch64-linux-gnu-gcc", [...CFLAGS, "-c", src, "-o", obj]);
  const ld = ["-nostdlib", "-no-pie", "--build-id=none", "--no-warn-rwx-segments"];
  const linked = [...ld, "-T", path.join(conformance, "conformance.ld")];
  sh("aarch64-linux-gnu-ld", [...linked, ...objects.map(([, o]) => o), "-o", `${name}.elf`]);
  sh("aarch64-linux-gnu-objcopy", ["-O", "binary", `${name}.elf`, `${name}.bin`]);
  return { elf: `${name}.elf`, bin: `${name}.bin` };
}

/** The first line where the two outputs differ, with its neighbours. */
function firstDifference(ours: string, qemu: string): string {
  const a = ours.split("\n");
  const b = qemu.split("\n");
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `line ${i + 1}:\n  ours: ${a.slice(Math.max(0, i - 2), i + 2).join("\n        ")}\n  qemu: ${b.slice(Math.max(0, i - 2), i + 2).join("\n        ")}`;
}

const guests = skipReason ? [] : Array.from({ length: GUESTS }, (_, n) => build(n));
const references = guests.map((g) => {
  const q = runElfOnQemu(g.elf);
  return q;
});

for (const tier of TIERS)
  test(
    `random blocks at EL1 with aborts print what qemu-system-aarch64 prints (${tier})`,
    { skip: skipReason, timeout: 300_000 },
    async () => {
      let faults = 0;
      const syndromes = new Set<string>();
      for (const [n, g] of guests.entries()) {
        const q = references[n];
        assert.ok(q);
        assert.equal(q.code, 0, q.stderr);
        assert.match(q.stdout, /blocks: done\n$/, "the reference run completes");
        faults += (q.stdout.match(/^fault /gm) ?? []).length;
        for (const m of q.stdout.matchAll(/ESR (0x[0-9a-f]+)/g)) syndromes.add(m[1] ?? "");
        const ours = await runBinOnGunyah(g.bin, ["--memory", `${RAM_MIB}M`], tier);
        assert.equal(ours.code, 0, ours.stderr);
        if (ours.stdout !== q.stdout)
          assert.fail(
            `guest ${n} (seed 0x${SEED.toString(16)}, ${tier}): ${firstDifference(ours.stdout, q.stdout)}`,
          );
      }
      process.stderr.write(
        `el1 blocks (${tier}): ${GUESTS} guests x ${BLOCKS} blocks, ${faults} aborts (ESR ${[...syndromes].join(" ")})\n`,
      );
      assert.ok(faults > 0, "the guests took aborts");
    },
  );
