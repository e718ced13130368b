// CPU benchmark: guest MIPS of the gunyah-ts A64 core under `gunyah exec` on
// compute-heavy programs, and the wall-clock ratio against qemu-aarch64 (TCG) running
// the same program in the same run. Integer: a C SHA-256 + CRC-32 loop and busybox
// sha256sum of a generated file; floating point: a C kernel (guests/tests/fpkernel.c) and
// a busybox awk loop. Both wall and CPU
// time ratios (CPU time is the steadier one on a loaded machine).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultCpuFactory, execProgram } from "../src/exec/index.js";
import { useJitByDefault } from "../src/cli/v8-flags.js";
import { compareWall, runCommandSide, type BenchResult, type SideRun } from "./compare.js";

const root = path.resolve(import.meta.dirname, "..");
const busybox = path.join(root, ".assets/busybox");
const hashProgram = path.join(root, "guests/tests/build/hash.O2");
const fpProgram = path.join(root, "guests/tests/build/fpkernel.O2");

interface Workload {
  readonly name: string;
  readonly program: string;
  readonly args: readonly string[];
}

interface OursRun extends SideRun {
  readonly instructions: number;
  readonly runSeconds: number;
}

function runOurs(w: Workload, out: string): OursRun {
  const fd = fs.openSync(out, "w");
  const devnull = fs.openSync("/dev/null", "r+");
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const failed = (failure: string): OursRun => ({
    name: "gunyah-ts",
    ok: false,
    failure: `gunyah-ts ${w.name}: ${failure}`,
    wall: (performance.now() - t0) / 1000,
    stdout: Buffer.alloc(0),
    instructions: 0,
    runSeconds: 0,
  });
  try {
    const r = execProgram({
      program: w.program,
      argv: [w.program, ...w.args],
      env: ["LC_ALL=C"],
      createCpu: defaultCpuFactory,
      stdio: { stdin: devnull, stdout: fd, stderr: devnull },
    });
    if (!r.ok) return failed(r.error);
    if (r.value.end.kind !== "exit") return failed(`ended by ${r.value.end.kind}`);
    const used = process.cpuUsage(cpu0);
    return {
      name: "gunyah-ts",
      ok: true,
      wall: (performance.now() - t0) / 1000,
      // This process's CPU time over the run (the JIT compiles on this thread too).
      cpu: (used.user + used.system) / 1e6,
      stdout: fs.readFileSync(out),
      instructions: r.value.instructions,
      runSeconds: r.value.seconds,
    };
  } finally {
    fs.closeSync(fd);
    fs.closeSync(devnull);
  }
}

function runQemu(w: Workload): SideRun {
  return runCommandSide({
    name: "qemu-aarch64",
    command: "qemu-aarch64",
    args: ["-cpu", "neoverse-n1", w.program, ...w.args],
    env: { LC_ALL: "C", PATH: process.env.PATH },
  });
}

export async function bench(): Promise<BenchResult> {
  useJitByDefault(); // as `gunyah exec` does
  if (!fs.existsSync(hashProgram) || !fs.existsSync(fpProgram))
    spawnSync("bash", [path.join(root, "guests/tests/build.sh")], { stdio: "ignore" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-cpu-bench-"));
  const data = path.join(dir, "data.bin");
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(data, block);
  const workloads: Workload[] = [
    { name: "C sha256+crc32 (512 KiB)", program: hashProgram, args: ["524288"] },
    // QEMU runs the 512 KiB input in about 0.1 s, mostly start-up: 8x the work gives a
    // ratio that start-up and the JIT's compile time do not dominate.
    { name: "C sha256+crc32 (4 MiB)", program: hashProgram, args: ["4194304"] },
    // Scalar FP as GCC compiles it (FMADD, FMUL, FADD, FCMPE feeding branches, SCVTF).
    { name: "C FP kernel (20000 steps)", program: fpProgram, args: ["20000"] },
  ];
  if (fs.existsSync(busybox)) {
    workloads.push({
      name: "busybox sha256sum (1 MiB)",
      program: busybox,
      args: ["sha256sum", data],
    });
    workloads.push({
      name: "busybox awk FP loop",
      program: busybox,
      args: [
        "awk",
        'BEGIN { s = 0; for (i = 1; i <= 5000; i++) s += i * 1.5 / (i + 0.5) - s / (i + 7); printf "%.10f\\n", s }',
      ],
    });
  }
  const figures: Record<string, number | string> = {};
  const failures: string[] = [];
  try {
    for (const w of workloads) {
      const mine = runOurs(w, path.join(dir, "out"));
      if (mine.ok) {
        figures[`${w.name}: instructions (M)`] = Number((mine.instructions / 1e6).toFixed(2));
        figures[`${w.name}: guest MIPS`] = Number(
          (mine.instructions / mine.runSeconds / 1e6).toFixed(1),
        );
        if (mine.cpu !== undefined && mine.cpu > 0)
          figures[`${w.name}: guest MIPS (CPU time)`] = Number(
            (mine.instructions / mine.cpu / 1e6).toFixed(1),
          );
      }
      const reference = runQemu(w);
      Object.assign(figures, compareWall(w.name, mine, reference, failures));
      if (mine.ok && reference.ok) {
        const same = mine.stdout.equals(reference.stdout);
        figures[`${w.name}: output matches qemu`] = same ? "yes" : "NO";
        if (!same) failures.push(`${w.name}: gunyah-ts output differs from qemu-aarch64's`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  Object.assign(figures, interpreterLoop());
  return { figures, failures };
}

/**
 * The interpreter alone on an integer loop (ALU, loads/stores, pairs, calls, branches)
 * at EL1, MMU off and on: test/arch/arm64/bench/mips.ts, in CPU time so that the figure
 * does not depend on what else the shared machine runs.
 */
function interpreterLoop(): Record<string, number | string> {
  const script = path.join(root, "test/arch/arm64/bench/mips.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", script, "30"], { cwd: root });
  const out = r.stdout.toString();
  const mips = [...out.matchAll(/^(MMU o(?:n|ff)) *:.* = ([\d.]+) MIPS$/gm)];
  if (r.status !== 0 || mips.length === 0) return { "integer loop": "failed to run" };
  const figures: Record<string, number> = {};
  for (const [, mode, value] of mips)
    figures[`integer loop, ${mode}: MIPS (CPU time)`] = Number(value);
  return figures;
}
