import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { test } from "node:test";
import assert from "node:assert/strict";
import { findCycle, checkImport } from "../layering-rules.js";
const srcRoot = resolve(import.meta.dirname, "..", "..", "src");
function files(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? files(p) : n.endsWith(".ts") ? [p] : [];
  });
}
// The hypervisor's own modules: no import cycle and no private import of another
// layer (the repository-wide test stops at the first problem anywhere).
test("src/hyp has no import cycle and imports only public entries", () => {
  const problems: string[] = [];
  const g = new Map<string, string[]>();
  for (const f of files(join(srcRoot, "hyp"))) {
    const info = ts.preProcessFile(readFileSync(f, "utf8"), true, true);
    const rel = relative(srcRoot, f);
    const t = info.importedFiles
      .filter((r) => r.fileName.startsWith("."))
      .map((r) => relative(srcRoot, resolve(dirname(f), r.fileName.replace(/\.js$/, ".ts"))));
    g.set(rel, t);
    for (const x of t) {
      const why = checkImport(rel, x);
      if (why) problems.push(`${rel} -> ${x}: ${why}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.equal(findCycle(g), undefined);
});
