// The README's host-API example is examples/host-api.ts, verbatim (with the package
// name as its import): this runs it on the real stack and checks the README's copy, so
// the documentation cannot drift from an API that compiles and boots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ExitType } from "../../src/index.js";
import { bootExample } from "../../examples/host-api.js";

const root = resolve(import.meta.dirname, "..", "..");

test("the host-API example boots its guest, which prints Hi and powers off", async () => {
  let out = "";
  const exitType = await bootExample((t) => void (out += t));
  assert.equal(out, "Hi\n");
  assert.equal(exitType, ExitType.PSCI_POWER_OFF);
});

test("README.md shows the example exactly as it runs", () => {
  const example = readFileSync(resolve(root, "examples/host-api.ts"), "utf8").replace(
    '"../src/index.js"',
    '"gunyah-ts"',
  );
  const readme = readFileSync(resolve(root, "README.md"), "utf8");
  assert.ok(
    readme.includes("```ts\n" + example + "```"),
    "README's example differs from examples/host-api.ts",
  );
});
