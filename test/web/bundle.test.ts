// The browser bundles (esbuild, platform "browser") reach no Node built-in and no
// Node-only layer: the page and its worker run the whole stack on Web APIs alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { buildWeb, webBuildOptions } from "../../scripts/build-web.js";

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

test("the web bundles import no Node built-in and no src/cli or src/exec file", async () => {
  const out = mkdtempSync(join(tmpdir(), "gunyah-bundle-"));
  try {
    const meta = await buildWeb(out);
    const inputs = Object.keys(meta.inputs);
    assert.ok(inputs.includes("src/web/worker.ts") && inputs.includes("src/vmm/run-vm.ts"));
    assert.ok(
      inputs.some((p) => p.startsWith("src/hyp/")) &&
        inputs.some((p) => p.startsWith("src/arch/arm64/")),
    );
    assert.deepEqual(
      inputs.filter((p) => p.startsWith("src/cli/") || p.startsWith("src/exec/")),
      [],
    );
    const imported = Object.values(meta.inputs).flatMap((i) => i.imports.map((x) => x.path));
    assert.deepEqual(
      imported.filter((p) => NODE_BUILTINS.has(p)),
      [],
    );
    for (const file of ["index.html", "style.css", "xterm.css", "demo.bin", "_headers"])
      assert.ok(readFileSync(join(out, file)).length > 0, file);
    assert.match(
      readFileSync(join(out, "_headers"), "utf8"),
      /Cross-Origin-Embedder-Policy: require-corp/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the same build refuses a Node built-in (the check above can fail)", async () => {
  const out = mkdtempSync(join(tmpdir(), "gunyah-bundle-"));
  try {
    const options = webBuildOptions(out);
    await assert.rejects(
      build({
        ...options,
        entryPoints: undefined,
        stdin: {
          contents: 'import { readFileSync } from "node:fs"; readFileSync("x");',
          loader: "ts",
          resolveDir: out,
        },
        write: false,
      }),
      /node:fs/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
