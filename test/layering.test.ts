// Enforces the layer rules of ARCHITECTURE.md: every import under src/ goes to the
// same layer, a layer below it, or an explicitly public boundary module; and the
// import graph has no cycle. Uses the TypeScript compiler's own import scanner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { LAYERS, checkImport, findCycle, layerOf } from "./layering-rules.js";

const srcRoot = resolve(import.meta.dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Maps each src-relative file to the src-relative files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcRoot)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets: string[] = [];
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith(".")) continue; // packages and node: builtins
      const target = resolve(dirname(file), ref.fileName).replace(/\.js$/, ".ts");
      targets.push(relative(srcRoot, target));
    }
    graph.set(relative(srcRoot, file), targets);
  }
  return graph;
}

test("every source file belongs to a layer", () => {
  for (const file of importGraph().keys()) {
    if (file === "index.ts") continue;
    assert.ok(layerOf(file), `${file} is outside every layer (${LAYERS.join(", ")})`);
  }
});

test("no layer imports a layer above it or a private module of another layer", () => {
  const violations: string[] = [];
  for (const [from, targets] of importGraph()) {
    for (const to of targets) {
      const why = checkImport(from, to);
      if (why) violations.push(`${from} -> ${to}: ${why}`);
    }
  }
  assert.deepEqual(violations, []);
});

test("the import graph has no cycle", () => {
  const cycle = findCycle(importGraph());
  assert.equal(cycle, undefined, `import cycle: ${cycle?.join(" -> ")}`);
});

test("the rules themselves reject upward and private imports", () => {
  assert.match(checkImport("hyp/a.ts", "host/b.ts") ?? "", /above/);
  assert.match(checkImport("vmm/a.ts", "hyp/x/y.ts") ?? "", /boundary|above|private/);
  assert.equal(checkImport("host/a.ts", "hyp/abi/calls.ts"), undefined);
  assert.equal(checkImport("rm/a.ts", "lib/checked.ts"), undefined);
  assert.deepEqual(
    findCycle(
      new Map([
        ["a", ["b"]],
        ["b", ["a"]],
      ]),
    ),
    ["a", "b", "a"],
  );
});
