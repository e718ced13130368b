// Attack: hostile files and command lines (hardening.md trust zones: a file or a user
// is untrusted). The FDT parser, the ELF loader and the arm64 Image loader get random
// and mutated valid inputs: they return errors, never throw or hang, and what they
// accept round-trips. The CLI refuses hostile option values with exit code 1 and one
// line, before it opens the hypervisor.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseFdt, serializeFdt } from "../../src/lib/fdt.js";
import { parseElf } from "../../src/exec/index.js";
import { IMAGE_MAGIC, parseKernel, planBoot } from "../../src/vmm/index.js";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { minimalElf } from "../exec/elf-builder.js";
import { configDtb } from "./harness.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 1500);

/** A valid input with a few bytes overwritten and maybe truncated. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 6,
      }),
      fc.option(fc.nat(base.length)),
      fc.option(
        fc.tuple(
          fc.nat(base.length - 4),
          fc.constantFrom(0, 0xffff_ffff, 0x7fff_ffff, 0x8000_0000, 0x40),
        ),
      ),
    )
    .map(([edits, cut, word]) => {
      const b = base.slice(0, cut ?? base.length);
      for (const [at, v] of edits) if (at < b.length) b[at] = v;
      if (word && word[0] + 4 <= b.length) new DataView(b.buffer).setUint32(word[0], word[1]);
      return b;
    });
}

function timed<T>(what: string, f: () => T): T {
  const start = performance.now();
  const out = f();
  assert.ok(performance.now() - start < 250, `${what} took too long (a hang in the making)`);
  return out;
}

test("FDT: random and mutated blobs give errors, never exceptions or hangs", () => {
  const valid = configDtb(2);
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutated(valid)), (blob) => {
      const r = timed("parseFdt", () => parseFdt(blob));
      if (!r.ok) {
        assert.equal(typeof r.error.reason, "string");
        return;
      }
      // Whatever it accepted serializes again (the round trip of non-ASCII names is
      // findings/fdt-utf8-names.repro.ts).
      assert.ok(serializeFdt(r.value).length >= 40);
    }),
    { numRuns: RUNS, seed: 0xfd7 },
  );
});

test("ELF: random and mutated executables give errors, never exceptions", () => {
  const valid = minimalElf();
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(valid)), (file) => {
      const r = timed("parseElf", () => parseElf(file));
      if (!r.ok) assert.equal(typeof r.error, "string");
    }),
    { numRuns: RUNS, seed: 0xe1f },
  );
});

test("arm64 Image: hostile headers and RAM sizes give load errors, never exceptions", () => {
  const image = new Uint8Array(4096);
  new DataView(image.buffer).setUint32(56, IMAGE_MAGIC, true);
  fc.assert(
    fc.property(mutated(image), fc.integer({ min: 0, max: 2 ** 40 }), (bytes, ramSize) => {
      const k = parseKernel(bytes);
      if (!k.ok) return;
      const plan = planBoot({ ramSize, kernel: k.value, dtbReserve: 2 << 20 });
      if (plan.ok) assert.ok(plan.value.end <= ramSize, "a plan stays inside RAM");
    }),
    { numRuns: RUNS, seed: 0x1a6e },
  );
});

test("CLI: hostile option values exit 1 with one line, before the hypervisor is opened", async () => {
  const cases = [
    ["run", "--memory", "-1"],
    ["run", "--memory", "1e999"],
    ["run", "--memory", "0x10"],
    ["run", "--memory", "99999999T"],
    ["run", "--memory", ""],
    ["run", "--cpus", "0"],
    ["run", "--cpus", "1.5"],
    ["run", "--cpus", "-1"],
    ["run", "--cpus", "1e3"],
    ["run", "--timeout", "-1"],
    ["run", "--timeout", "NaN"],
    ["run", "--timeout", "Infinity"],
    ["run", "--kernel", "/dev/null"],
    ["run", "--kernel", "/"],
    ["run", "--initrd", "/"],
  ];
  for (const argv of cases) {
    let stderr = "";
    let opened = false;
    const io: Partial<CliIo> = {
      stdout: () => {},
      stderr: (s) => void (stderr += s),
      openHost: () => {
        opened = true;
        return Promise.reject(new Error("must not be opened"));
      },
      stdin: undefined,
      onInterrupt: undefined,
    };
    const code = await main(argv, io);
    assert.equal(code, 1, argv.join(" "));
    assert.equal(opened, false, argv.join(" "));
    assert.match(stderr, /^gunyah run: [^\n]+\n$/, argv.join(" "));
  }
});
