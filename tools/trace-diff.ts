// trace-diff: runs a static AArch64 program under `qemu-aarch64 -singlestep -d cpu`
// and on the gunyah-ts CPU (the state `gunyah exec --trace` writes), one instruction
// at a time, and reports the first instruction after which the architectural state
// (PC, X0-X30, SP, NZCV, and with `-d cpu,fpu` Q0-Q31, FPCR, FPSR) differs. QEMU's log streams through a pipe, so a divergence
// deep into a long program costs no disk space.
//
//   node --import tsx tools/trace-diff.ts [--cpu neoverse-n1] [--limit N] [--seed S] -- prog args...
//
// Both sides get the same argv, an empty environment, the same AT_RANDOM bytes (read
// from QEMU with -seed by guests/tests/probes/auxv-random.c) and QEMU's AT_HWCAP for
// the chosen model, so their start-up paths agree. Values that are configuration, not
// CPU semantics, are synchronised and listed as notes: a system-register read (MRS of
// MIDR_EL1, DCZID_EL0, CNTVCT_EL0...) and a syscall's result in X0.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { captureState, createProcess, defaultCpuFactory, stepProcess } from "../src/exec/index.js";
import type { CpuFactory, ProcessState, TraceState } from "../src/exec/index.js";

const root = path.resolve(import.meta.dirname, "..");

/** AT_HWCAP/AT_HWCAP2 that qemu-aarch64 7.2 gives each CPU model (linux-user/elfload.c). */
export const QEMU_HWCAPS: Record<string, { hwcap: bigint; hwcap2: bigint }> = {
  "cortex-a53": { hwcap: 0x8fbn, hwcap2: 0n },
  "cortex-a57": { hwcap: 0x8fbn, hwcap2: 0n },
  "cortex-a72": { hwcap: 0x8fbn, hwcap2: 0n },
  "neoverse-n1": { hwcap: 0x119ffbn, hwcap2: 0n },
  max: { hwcap: 0xecfffffbn, hwcap2: 0x7f877fffn },
};

export interface TraceDiffOptions {
  readonly program: string;
  readonly args?: readonly string[];
  readonly qemuCpu?: string;
  /** Compare at most this many instructions. */
  readonly limit?: number;
  readonly seed?: number;
  readonly createCpu?: CpuFactory;
}

export interface FieldDiff {
  readonly name: string;
  readonly ours: string;
  readonly qemu: string;
}

export interface Divergence {
  /** Instructions executed before the differing state (0 = the initial state). */
  readonly index: number;
  /** The instruction whose execution produced the difference. */
  readonly pc: number | undefined;
  readonly word: number | undefined;
  readonly disassembly: string | undefined;
  readonly fields: readonly FieldDiff[];
}

export interface TraceDiffReport {
  readonly compared: number;
  readonly divergence: Divergence | undefined;
  readonly notes: readonly string[];
  readonly qemuCommand: string;
}

type QemuRecord = Map<string, bigint>;

function parseRecord(text: string): QemuRecord {
  const fields = new Map<string, bigint>();
  for (const m of text.matchAll(/Q(\d\d)=([0-9a-f]{16}):([0-9a-f]{16})/g)) {
    const [, n, hi, lo] = m;
    if (n && hi && lo) fields.set(`Q${n}`, (BigInt(`0x${hi}`) << 64n) | BigInt(`0x${lo}`));
  }
  for (const m of text.matchAll(/([A-Z0-9]+)=([0-9a-f]+)/g)) {
    const [, key, value] = m;
    if (key && value && !fields.has(key)) fields.set(key, BigInt(`0x${value}`));
  }
  return fields;
}

/** Yields QEMU's records as they arrive: each starts with its " PC=" line. */
async function* qemuRecords(stream: Readable): AsyncGenerator<QemuRecord> {
  let pending = "";
  let record = "";
  for await (const chunk of stream) {
    pending += (chunk as Buffer).toString("latin1");
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith(" PC=") && record !== "") {
        yield parseRecord(record);
        record = "";
      }
      record += `${line}\n`;
    }
  }
  if (record.includes("PSTATE=")) yield parseRecord(record);
}

function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

function ourFields(s: TraceState): Map<string, bigint> {
  const m = new Map<string, bigint>([["PC", BigInt(s.pc)]]);
  s.x.forEach((v, i) => m.set(`X${String(i).padStart(2, "0")}`, BigInt.asUintN(64, v)));
  m.set("SP", BigInt.asUintN(64, s.sp));
  m.set("NZCV", BigInt(s.nzcv >>> 28));
  if (s.fp) {
    const view = new DataView(s.fp.vregs.buffer, s.fp.vregs.byteOffset, 512);
    for (let q = 0; q < 32; q++) {
      const value = (view.getBigUint64(q * 16 + 8, true) << 64n) | view.getBigUint64(q * 16, true);
      m.set(`Q${String(q).padStart(2, "0")}`, value);
    }
    m.set("FPCR", BigInt(s.fp.fpcr >>> 0));
    m.set("FPSR", BigInt(s.fp.fpsr >>> 0));
  }
  return m;
}

/** QEMU's AT_RANDOM bytes for -seed `seed` (program-independent: its first random draw). */
export function qemuRandomBytes(seed: number, qemuCpu: string): Uint8Array | undefined {
  const probe = path.join(root, "guests/tests/build/probe-auxv-random");
  if (!fs.existsSync(probe))
    spawnSync("bash", [path.join(root, "guests/tests/build.sh")], { stdio: "ignore" });
  const r = spawnSync("qemu-aarch64", ["-cpu", qemuCpu, "-seed", String(seed), probe], {
    encoding: "latin1",
    env: {},
  });
  const hexText = r.stdout?.trim() ?? "";
  return /^[0-9a-f]{32}$/.test(hexText) ? Uint8Array.from(Buffer.from(hexText, "hex")) : undefined;
}

function disassemble(program: string, pc: number): string | undefined {
  const r = spawnSync(
    "aarch64-linux-gnu-objdump",
    ["-d", `--start-address=${hex(pc)}`, `--stop-address=${hex(pc + 4)}`, program],
    { encoding: "latin1" },
  );
  const line = r.stdout?.split("\n").find((l) => l.trim().startsWith(`${pc.toString(16)}:`));
  return line?.split("\t").slice(2).join(" ").trim() || undefined;
}

const MRS_MASK = 0xfff00000;
const MRS_BITS = 0xd5300000;
const SVC_MASK = 0xffe0001f;
const SVC_BITS = 0xd4000001;

export async function traceDiff(options: TraceDiffOptions): Promise<TraceDiffReport> {
  const qemuCpu = options.qemuCpu ?? "neoverse-n1";
  const seed = options.seed ?? 1;
  const args = options.args ?? [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const notes: string[] = [];
  const random = qemuRandomBytes(seed, qemuCpu);
  if (!random) notes.push("AT_RANDOM could not be read from QEMU: stack-guard values will differ");
  const devnull = fs.openSync("/dev/null", "r+");
  const created = createProcess({
    program: options.program,
    argv: [options.program, ...args],
    env: [],
    createCpu: options.createCpu ?? defaultCpuFactory,
    stdio: { stdin: devnull, stdout: devnull, stderr: devnull },
    random,
    hwcaps: QEMU_HWCAPS[qemuCpu],
  });
  if (!created.ok) throw new Error(created.error);
  const { cpu, state } = created.value;
  // qemu-aarch64 answers prctl(PR_GET_NAME) with its own thread's name, not the
  // program's: mirror it, as for the hwcaps, so that busybox's start-up matches.
  state.threadName = "qemu-aarch64";
  // QEMU's -D log file takes descriptor 3 in the guest's descriptor space: take it too.
  const stdin = state.files.get(0);
  if (stdin) {
    stdin.refs++;
    state.files.installAt(3, stdin, true);
  }
  // A FIFO, not a Node pipe: Node's child pipes are sockets, which QEMU cannot reopen
  // by name, and a FIFO makes QEMU wait for us instead of filling a disk.
  const fifoDir = fs.mkdtempSync(path.join(os.tmpdir(), "trace-diff-"));
  const fifo = path.join(fifoDir, "qemu.log");
  const made = spawnSync("mkfifo", [fifo]);
  if (made.status !== 0) throw new Error("mkfifo failed");
  const qemuArgs = [
    "-cpu",
    qemuCpu,
    "-seed",
    String(seed),
    "-singlestep",
    "-d",
    "cpu,fpu",
    "-D",
    fifo,
    options.program,
    ...args,
  ];
  const qemu = spawn("qemu-aarch64", qemuArgs, { stdio: "ignore", env: {} });
  const stream: Readable = fs.createReadStream(fifo, { highWaterMark: 1 << 20 });

  let compared = 0;
  let lastPc: number | undefined;
  let lastWord: number | undefined;
  let ended = false;
  let qemuInitialNzcv: bigint | undefined;
  let ourInitialNzcv: bigint | undefined;
  let divergence: Divergence | undefined;
  /** Buffers getrandom filled on our side (QEMU's bytes come from the host). */
  const randomBuffers: { at: number; length: number }[] = [];
  const diverge = (fields: FieldDiff[]): Divergence => ({
    index: compared,
    pc: lastPc,
    word: lastWord,
    disassembly: lastPc === undefined ? undefined : disassemble(options.program, lastPc),
    fields,
  });

  try {
    for await (const q of qemuRecords(stream)) {
      if (compared >= limit) break;
      if (ended) {
        divergence = diverge([
          { name: "end", ours: "exited", qemu: `continues at ${hex(q.get("PC") ?? 0n)}` },
        ]);
        break;
      }
      const ours = ourFields(captureState(cpu, true));
      const qemuNzcv = (q.get("PSTATE") ?? 0n) >> 28n;
      q.set("NZCV", qemuNzcv);
      qemuInitialNzcv ??= qemuNzcv;
      ourInitialNzcv ??= ours.get("NZCV");
      // QEMU starts with Z set and Linux with NZCV clear: flags are compared once
      // either side has written them.
      const flagsLive = qemuNzcv !== qemuInitialNzcv || ours.get("NZCV") !== ourInitialNzcv;
      let fields: FieldDiff[] = [];
      for (const [name, value] of ours) {
        if (name === "NZCV" && !flagsLive) continue;
        const theirs = q.get(name);
        if (theirs !== undefined && theirs !== value)
          fields.push({ name, ours: hex(value), qemu: hex(theirs) });
      }
      if (fields.length > 0 && lastWord !== undefined)
        fields = synchronise(fields, lastWord, cpu, notes, compared);
      if (fields.length > 0 && lastWord !== undefined)
        fields = synchroniseRandom(fields, lastWord, cpu, state, randomBuffers, notes, compared);
      if (fields.length > 0) {
        divergence = diverge(fields);
        break;
      }
      compared++;
      lastPc = cpu.pc;
      const fetched = state.mem.read(cpu.pc, 4);
      lastWord = fetched.ok ? new DataView(fetched.value.buffer).getUint32(0, true) : undefined;
      const getrandom =
        lastWord !== undefined && (lastWord & SVC_MASK) >>> 0 === SVC_BITS && cpu.getX(8) === 278n
          ? Number(cpu.getX(0))
          : undefined;
      const end = stepProcess(cpu, state);
      const got = Number(BigInt.asIntN(64, cpu.getX(0)));
      if (getrandom !== undefined && got > 0) randomBuffers.push({ at: getrandom, length: got });
      if (end) {
        ended = true;
        if (end.kind === "signal")
          notes.push(`ours ended with signal ${end.signal}: ${end.detail}`);
      }
    }
    if (!divergence && !ended && compared < limit)
      divergence = diverge([{ name: "end", ours: `continues at ${hex(cpu.pc)}`, qemu: "exited" }]);
  } finally {
    qemu.kill("SIGKILL");
    stream.destroy();
    fs.closeSync(devnull);
    fs.rmSync(fifoDir, { recursive: true, force: true });
  }
  return { compared, divergence, notes, qemuCommand: `qemu-aarch64 ${qemuArgs.join(" ")}` };
}

/** Drops differences that are configuration, copying QEMU's value into our CPU. */
function synchronise(
  fields: FieldDiff[],
  word: number,
  cpu: { setX(i: number, v: bigint): void; getX(i: number): bigint },
  notes: string[],
  index: number,
): FieldDiff[] {
  const only = fields.length === 1 ? fields[0] : undefined;
  if (!only || !only.name.startsWith("X")) return fields;
  const reg = Number(only.name.slice(1));
  const isMrs = (word & MRS_MASK) >>> 0 === MRS_BITS && (word & 31) === reg;
  const isSvc = (word & SVC_MASK) >>> 0 === SVC_BITS && reg === 0;
  if (!isMrs && !isSvc) return fields;
  cpu.setX(reg, BigInt(only.qemu));
  const what = isMrs
    ? `system-register read 0x${word.toString(16)}`
    : `syscall ${cpu.getX(8)} result`;
  notes.push(`#${index}: ${what}: X${reg} ours ${only.ours}, qemu ${only.qemu} (synchronised)`);
  return [];
}

/** Loads and stores: op0 bits 27 and 25 = 1x0 (Arm ARM C4.1). */
function isLoadStore(word: number): boolean {
  return ((word >>> 25) & 0b101) === 0b100;
}

/**
 * A load that brought getrandom bytes into a register: QEMU's bytes came from the
 * host's generator, ours from ours. Copy QEMU's value into the register and into the
 * buffer, and carry on.
 */
function synchroniseRandom(
  fields: FieldDiff[],
  word: number,
  cpu: { setX(i: number, v: bigint): void },
  state: ProcessState,
  buffers: readonly { at: number; length: number }[],
  notes: string[],
  index: number,
): FieldDiff[] {
  const only = fields.length === 1 ? fields[0] : undefined;
  if (!only || !only.name.startsWith("X") || !isLoadStore(word)) return fields;
  const ours = BigInt(only.ours);
  const qemuValue = BigInt(only.qemu);
  for (const size of [8, 4, 2, 1]) {
    if (ours >> BigInt(size * 8) !== 0n || qemuValue >> BigInt(size * 8) !== 0n) continue;
    const needle = Buffer.alloc(8);
    needle.writeBigUInt64LE(ours, 0);
    for (const b of buffers) {
      const r = state.mem.read(b.at, b.length);
      if (!r.ok) continue;
      const at = Buffer.from(r.value).indexOf(needle.subarray(0, size));
      if (at < 0) continue;
      const replacement = Buffer.alloc(8);
      replacement.writeBigUInt64LE(qemuValue, 0);
      state.mem.poke(b.at + at, replacement.subarray(0, size));
      cpu.setX(Number(only.name.slice(1)), qemuValue);
      notes.push(
        `#${index}: load of getrandom bytes: ${only.name} ours ${only.ours}, qemu ${only.qemu} (synchronised)`,
      );
      return [];
    }
  }
  return fields;
}

export function formatReport(r: TraceDiffReport): string {
  const lines = [`compared ${r.compared} instructions (${r.qemuCommand})`];
  for (const n of r.notes) lines.push(`note: ${n}`);
  const d = r.divergence;
  if (!d) lines.push("no divergence: every state matched");
  else {
    const what =
      d.pc === undefined
        ? "initial state"
        : `after instruction #${d.index - 1} at ${hex(d.pc)}: ${d.word === undefined ? "?" : d.word.toString(16).padStart(8, "0")}${d.disassembly ? ` (${d.disassembly})` : ""}`;
    lines.push(`FIRST DIVERGENCE ${what}`);
    for (const f of d.fields) lines.push(`  ${f.name.padEnd(5)} ours ${f.ours}  qemu ${f.qemu}`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  let qemuCpu: string | undefined;
  let limit: number | undefined;
  let seed: number | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      i++;
      break;
    }
    if (a === "--cpu") qemuCpu = argv[++i];
    else if (a === "--limit") limit = Number(argv[++i]);
    else if (a === "--seed") seed = Number(argv[++i]);
    else break;
  }
  const [program, ...args] = argv.slice(i);
  if (!program) {
    process.stderr.write(
      "usage: trace-diff [--cpu model] [--limit n] [--seed s] [--] program [args...]\n",
    );
    return 2;
  }
  const report = await traceDiff({ program, args, qemuCpu, limit, seed });
  process.stdout.write(formatReport(report));
  return report.divergence ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  process.exitCode = await main(process.argv.slice(2));
}
