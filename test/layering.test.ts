// Enforces the layer rules of ARCHITECTURE.md: every import under src/ goes to the
// same layer, a layer below it, or an explicitly public boundary module; and the
// import graph has no cycle. Uses the TypeScript compiler's own import scanner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { builtinModules } from "node:module";
import ts from "typescript";
import {
  LAYERS,
  NODE_GLOBALS,
  NODE_LAYERS,
  checkImport,
  checkNodeImport,
  findCycle,
  layerOf,
} from "./layering-rules.js";

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

/** Each file's imported module names as written (packages and node: built-ins included). */
function importSpecifiers(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of sourceFiles(srcRoot)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    out.set(
      relative(srcRoot, file),
      info.importedFiles.map((r) => r.fileName),
    );
  }
  return out;
}

test("only the Node-only layers import Node's built-in modules", () => {
  const violations: string[] = [];
  for (const [file, specifiers] of importSpecifiers()) {
    for (const s of specifiers) {
      const why = checkNodeImport(file, s, builtinModules);
      if (why) violations.push(`${file}: ${why}`);
    }
  }
  assert.deepEqual(violations, []);
});

/** Uses of a Node global as a value (`process.x`, `setImmediate(...)`), not as a name. */
function nodeGlobalUses(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  const uses: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isValueReference(node)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      uses.push(`${relative(srcRoot, file)}:${line + 1}: ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses;
}

/** False for property names (`a.process`), declarations and type positions. */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name === id) return false;
  if (ts.isMethodDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodSignature(p))
    return p.name !== id;
  if (ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p))
    return p.name !== id;
  if (ts.isQualifiedName(p) || ts.isTypeReferenceNode(p)) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isBindingElement(p)) return false;
  return true;
}

test("only the Node-only layers use Node's globals (process, Buffer, setImmediate...)", () => {
  const uses = sourceFiles(srcRoot)
    .filter((f) => {
      const layer = layerOf(relative(srcRoot, f));
      return !(layer && NODE_LAYERS.includes(layer));
    })
    .flatMap(nodeGlobalUses);
  assert.deepEqual(uses, []);
});

// The browser page compiles the layers it reaches with the DOM's types (where, e.g., a
// WebAssembly.Module wants an ArrayBuffer-backed view): tsc -p tsconfig.json alone
// would not notice a core change that breaks the page.
test("the browser page and every layer it reaches typecheck with the DOM's types", () => {
  const root = resolve(import.meta.dirname, "..");
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.web.json", "--noEmit"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `tsc -p tsconfig.web.json:\n${r.stdout}${r.stderr}`);
});

test("the rules themselves reject upward and private imports", () => {
  assert.match(checkImport("hyp/a.ts", "host/b.ts") ?? "", /above/);
  assert.match(checkImport("vmm/a.ts", "hyp/x/y.ts") ?? "", /boundary|above|private/);
  assert.equal(checkImport("host/a.ts", "hyp/abi/calls.ts"), undefined);
  assert.equal(checkImport("rm/a.ts", "lib/checked.ts"), undefined);
  assert.match(checkImport("web/main.ts", "exec/index.ts") ?? "", /boundary/);
  assert.equal(checkImport("web/worker.ts", "vmm/index.ts"), undefined);
  assert.match(checkNodeImport("vmm/a.ts", "node:fs", builtinModules) ?? "", /Node's node:fs/);
  assert.match(checkNodeImport("hyp/a.ts", "crypto", builtinModules) ?? "", /Node's crypto/);
  assert.match(checkNodeImport("web/a.ts", "fs/promises", builtinModules) ?? "", /Node's/);
  assert.equal(checkNodeImport("cli/a.ts", "node:fs", builtinModules), undefined);
  assert.equal(checkNodeImport("vmm/a.ts", "commander", builtinModules), undefined);
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
