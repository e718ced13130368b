// `npm run bench -- <module> --profile`: a CPU profile of the part of a benchmark that
// runs gunyah-ts (a module marks it with `profiled()`; the QEMU side is not profiled),
// written to .bench/<label>.cpuprofile (open it in Chromium's DevTools, Performance
// tab), and a summary: the functions with the most self time, and the share of self
// time per layer (the src/<layer>/ folder of the function's script; arch/arm64 = arch).
// Uses node:inspector's Profiler in-process, so the profile is of the very process
// the benchmark measures.

import * as fs from "node:fs";
import * as path from "node:path";
import { Session } from "node:inspector/promises";

/** The subset of a V8 CPU profile (Profiler.Profile) the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface FunctionTime {
  readonly name: string;
  readonly where: string;
  readonly layer: string;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly functions: readonly FunctionTime[];
  /** Self time per layer, largest first. */
  readonly layers: readonly { readonly layer: string; readonly ms: number }[];
}

const LAYERS = ["arch", "hyp", "rm", "platform", "host", "vmm", "cli", "lib", "exec"];

/** The layer a script belongs to: src/<layer>/ (src/arch/arm64 is "arch"), else a group. */
export function layerOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "(gc)";
    if (functionName === "(idle)" || functionName === "(program)") return "(idle/program)";
    return "(native)";
  }
  const m = /\/src\/([a-z0-9-]+)\//.exec(url);
  if (m && LAYERS.includes(m[1]!)) return m[1]!;
  if (url.startsWith("node:")) return "(node)";
  if (url.includes("/node_modules/")) return "(dependencies)";
  if (url.includes("/bench/") || url.includes("/test/")) return "(bench)";
  return "(other)";
}

function shortWhere(url: string, line: number): string {
  if (url === "") return "";
  const src = url.lastIndexOf("/src/");
  const rel = src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
  return `${rel}:${line + 1}`;
}

/** Self time per function and per layer from the samples and their time deltas. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; charge it to sample i's node.
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  const byFunction = new Map<string, { name: string; where: string; layer: string; us: number }>();
  const byLayer = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === "" ? "(anonymous)" : functionName;
    const where = shortWhere(url, lineNumber);
    const layer = layerOf(url, functionName);
    const key = `${name}@${where}`;
    const f = byFunction.get(key) ?? { name, where, layer, us: 0 };
    f.us += us;
    byFunction.set(key, f);
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + us);
    total += us;
  }
  const functions = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .map((f) => ({ name: f.name, where: f.where, layer: f.layer, ms: f.us / 1000 }));
  const layers = [...byLayer.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([layer, us]) => ({ layer, ms: us / 1000 }));
  return { totalMs: total / 1000, functions, layers };
}

/** The summary as text: the top `top` functions by self time and the layer shares. */
export function formatSummary(label: string, s: ProfileSummary, top = 25): string {
  const pct = (ms: number) => (s.totalMs > 0 ? ((100 * ms) / s.totalMs).toFixed(1) : "0.0");
  const out = [`profile of ${label}: ${(s.totalMs / 1000).toFixed(2)} s of samples`];
  out.push("  self time by layer:");
  for (const l of s.layers)
    out.push(
      `    ${l.layer.padEnd(16)} ${pct(l.ms).padStart(5)}%  ${l.ms.toFixed(0).padStart(8)} ms`,
    );
  out.push(`  top ${top} functions by self time:`);
  for (const f of s.functions.slice(0, top))
    out.push(
      `    ${pct(f.ms).padStart(5)}% ${f.ms.toFixed(0).padStart(7)} ms  ${f.layer.padEnd(9)} ${f.name}  ${f.where}`,
    );
  return out.join("\n");
}

interface Profiling {
  readonly dir: string;
  readonly print: (line: string) => void;
}

let active: Profiling | undefined;

/** Turns profiling on for `profiled()` sections (bench/run.ts does, for --profile). */
export function enableProfiling(dir: string, print: (line: string) => void): void {
  active = { dir, print };
}

export function disableProfiling(): void {
  active = undefined;
}

/**
 * Runs `fn`; with --profile, under the CPU profiler: the profile goes to
 * `<dir>/<label>.cpuprofile` and its summary is printed.
 */
export async function profiled<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const p = active;
  if (!p) return fn();
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    // 1 ms sampling keeps the profile small over a minutes-long boot.
    await session.post("Profiler.setSamplingInterval", { interval: 1000 });
    await session.post("Profiler.start");
    let result: T;
    try {
      result = await fn();
    } finally {
      const { profile } = await session.post("Profiler.stop");
      fs.mkdirSync(p.dir, { recursive: true });
      const file = path.join(p.dir, `${label}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(profile));
      p.print(`${formatSummary(label, summarize(profile))}\n  written to ${file}\n`);
    }
    return result;
  } finally {
    session.disconnect();
  }
}
