// `npm run bench`: discovers bench/*.bench.ts, runs each module's `bench()` in turn and
// prints its figures as a small table. Arguments are substrings selecting modules
// (`npm run bench -- cpu`); arguments that start with `--` are options:
//   --profile   CPU-profile the gunyah-ts side of each module (bench/profile.ts), write
//               .bench/<label>.cpuprofile and print the top functions and layer shares.
// A module that throws, or whose comparison lost a side (bench/compare.ts), is
// reported with the reason and makes the run exit 1.

import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchResult } from "./compare.js";
import { disableProfiling, enableProfiling } from "./profile.js";

const OPTIONS = ["--profile"] as const;

/** Splits argv into module filters and `--` options; an unknown option is an error. */
export function parseArgs(argv: readonly string[]): {
  filters: string[];
  profile: boolean;
  error?: string;
} {
  const filters = argv.filter((a) => !a.startsWith("--"));
  const options = argv.filter((a) => a.startsWith("--"));
  const unknown = options.find((o) => !(OPTIONS as readonly string[]).includes(o));
  const parsed = { filters, profile: options.includes("--profile") };
  return unknown === undefined
    ? parsed
    : { ...parsed, error: `unknown option ${unknown} (known: ${OPTIONS.join(", ")})` };
}

type Figures = Record<string, number | string>;
type BenchModule = { bench?: () => Promise<Figures | BenchResult> };

function table(title: string, figures: Figures): string {
  const rows = Object.entries(figures).map(([k, v]) => [
    k,
    typeof v === "number" ? v.toLocaleString("en-US") : v,
  ]);
  const w0 = Math.max(title.length, ...rows.map(([k]) => String(k).length));
  const w1 = Math.max(5, ...rows.map(([, v]) => String(v).length));
  const line = `+${"-".repeat(w0 + 2)}+${"-".repeat(w1 + 2)}+`;
  const out = [line, `| ${title.padEnd(w0)} | ${"".padEnd(w1)} |`, line];
  for (const [k, v] of rows) out.push(`| ${String(k).padEnd(w0)} | ${String(v).padStart(w1)} |`);
  out.push(line);
  return out.join("\n");
}

function isResult(r: Figures | BenchResult): r is BenchResult {
  return typeof r.figures === "object" && Array.isArray((r as BenchResult).failures);
}

/** Runs the selected modules of `dir`, printing with `print`; returns the failure count. */
export async function runBenches(
  dir: string,
  filters: readonly string[],
  print: (line: string) => void,
): Promise<number> {
  const modules = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
  let failures = 0;
  for (const file of modules) {
    const name = file.replace(/\.bench\.ts$/, "");
    const started = performance.now();
    try {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as BenchModule;
      if (typeof mod.bench !== "function") throw new Error("exports no bench() function");
      const result = await mod.bench();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const { figures, failures: lost } = isResult(result)
        ? result
        : { figures: result, failures: [] };
      print(`${table(`${name} (${seconds} s)`, figures)}\n`);
      for (const why of lost) print(`${name}: FAILED: ${why}\n`);
      if (lost.length > 0) failures++;
    } catch (e) {
      failures++;
      print(`${name}: FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  if (modules.length === 0) {
    print("bench: no bench/*.bench.ts matched");
    failures++;
  }
  return failures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  if (args.error !== undefined) {
    console.error(`bench: ${args.error}`);
    process.exitCode = 2;
  } else {
    const print = (l: string) => console.log(l);
    if (args.profile) enableProfiling(path.join(import.meta.dirname, "..", ".bench"), print);
    const failures = await runBenches(import.meta.dirname, args.filters, print);
    disableProfiling();
    process.exitCode = failures > 0 ? 1 : 0;
  }
}
