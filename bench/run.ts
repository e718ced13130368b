// `npm run bench`: discovers bench/*.bench.ts, runs each module's `bench()` in turn and
// prints its figures as a small table. Arguments are substrings selecting modules
// (`npm run bench -- cpu`). Benchmarks report; they never fail a build.

import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

type BenchModule = { bench?: () => Promise<Record<string, number | string>> };

const dir = import.meta.dirname;
const filters = process.argv.slice(2);
const modules = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

function table(title: string, figures: Record<string, number | string>): string {
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

let failures = 0;
for (const file of modules) {
  const name = file.replace(/\.bench\.ts$/, "");
  const started = performance.now();
  try {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as BenchModule;
    if (typeof mod.bench !== "function") throw new Error("exports no bench() function");
    const figures = await mod.bench();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${table(`${name} (${seconds} s)`, figures)}\n`);
  } catch (e) {
    failures++;
    console.log(`${name}: failed: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
if (modules.length === 0) console.log("bench: no bench/*.bench.ts matched");
process.exitCode = failures > 0 ? 1 : 0;
