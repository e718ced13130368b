// The comparison logic every benchmark shares: run each side of a comparison, decide
// whether it really succeeded (exit status 0 AND the marker it must print), and print
// a ratio only when both sides did. A side that failed is named with the tail of its
// stderr, and the benchmark counts as failed so that `npm run bench` exits non-zero:
// a ratio against a run that never reached its marker would mislead.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** What a benchmark returns: its figures, and the failures that voided a comparison. */
export interface BenchResult {
  readonly figures: Record<string, number | string>;
  readonly failures: readonly string[];
}

/** One side of a comparison after it ran. */
export interface SideRun {
  readonly name: string;
  readonly ok: boolean;
  readonly wall: number;
  /** Why the side does not count (exit status, missing marker, stderr tail). */
  readonly failure?: string;
  readonly stdout: Buffer;
  /** CPU seconds (user + system) the side used, when known. */
  readonly cpu?: number;
}

/**
 * CPU seconds used by this process's waited-for children (cutime + cstime of
 * /proc/self/stat, proc(5)), or undefined where there is no procfs. On a shared,
 * loaded machine wall time inflates for both sides; CPU time does not.
 */
export function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return undefined;
    return (cutime + cstime) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export interface CommandSide {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Text the side must print on stdout to count as a complete run. */
  readonly marker?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

const STDERR_TAIL_LINES = 8;

/** The last lines of a process's stderr, for a failure message. */
export function stderrTail(stderr: Buffer | string | null | undefined): string {
  const text = (stderr ?? "").toString().trimEnd();
  if (text === "") return "(no stderr)";
  return text.split("\n").slice(-STDERR_TAIL_LINES).join("\n");
}

/** Runs an external program as one side (the reference, usually QEMU) and judges it. */
export function runCommandSide(side: CommandSide): SideRun {
  const t0 = performance.now();
  const cpu0 = childrenCpuSeconds();
  const r = spawnSync(side.command, [...side.args], {
    maxBuffer: 1 << 28,
    timeout: side.timeoutMs ?? 600_000,
    env: side.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = childrenCpuSeconds();
  const cpu = cpu0 !== undefined && cpu1 !== undefined ? { cpu: cpu1 - cpu0 } : {};
  const stdout = r.stdout ?? Buffer.alloc(0);
  const failure = judge(side.name, {
    error: r.error,
    status: r.status,
    signal: r.signal,
    stdout,
    stderr: r.stderr,
    marker: side.marker,
  });
  return failure === undefined
    ? { name: side.name, ok: true, wall, stdout, ...cpu }
    : { name: side.name, ok: false, wall, failure, stdout, ...cpu };
}

interface Outcome {
  readonly error?: Error | undefined;
  readonly status: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stdout: Buffer | string;
  readonly stderr?: Buffer | string | null;
  readonly marker?: string | undefined;
}

/** undefined when the run counts; otherwise why it does not. */
export function judge(name: string, o: Outcome): string | undefined {
  let why: string | undefined;
  if (o.error !== undefined) why = `could not run: ${o.error.message}`;
  else if (o.signal) why = `killed by ${o.signal}`;
  else if (o.status !== 0) why = `exited with status ${o.status}`;
  else if (o.marker !== undefined && !o.stdout.toString().includes(o.marker))
    why = `exited 0 without printing ${JSON.stringify(o.marker)}`;
  if (why === undefined) return undefined;
  return `${name} ${why}; stderr tail:\n${stderrTail(o.stderr)}`;
}

/**
 * Figures for a comparison of `ours` against `reference`: both walls, and the ratio
 * only when both sides succeeded. Each failure is recorded in `failures`.
 */
export function compareWall(
  label: string,
  ours: SideRun,
  reference: SideRun,
  failures: string[],
): Record<string, number | string> {
  const round = (n: number) => Math.round(n * 100) / 100;
  const figures: Record<string, number | string> = {
    [`${label}: ${ours.name} wall (s)`]: ours.ok ? round(ours.wall) : "FAILED",
    [`${label}: ${reference.name} wall (s)`]: reference.ok ? round(reference.wall) : "FAILED",
  };
  for (const side of [ours, reference]) if (!side.ok && side.failure) failures.push(side.failure);
  if (ours.ok && reference.ok)
    figures[`${label}: slower than ${reference.name} (x)`] = round(ours.wall / reference.wall);
  else figures[`${label}: ratio`] = "none (a side failed, see below)";
  // CPU time too: on a loaded machine it is the steadier comparison.
  if (ours.cpu !== undefined && reference.cpu !== undefined && ours.ok && reference.ok) {
    figures[`${label}: ${ours.name} CPU (s)`] = round(ours.cpu);
    figures[`${label}: ${reference.name} CPU (s)`] = round(reference.cpu);
    if (reference.cpu > 0)
      figures[`${label}: CPU time vs ${reference.name} (x)`] = round(ours.cpu / reference.cpu);
  }
  return figures;
}
