// Debian's static busybox: applets on fixed inputs print exactly what they print under
// qemu-aarch64 (they exercise glibc's SIMD string routines, stdio, FP and sorting).
// Under both CPU tiers (tiers.ts); the JIT tier runs the applets in JIT_CASES.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { forEachTier } from "../tiers.js";
import { busybox, missingTools, ours, qemu, traceDiffHint } from "./reference.js";

const skip = missingTools(true);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-busybox-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Fixed inputs: 300 text lines and 2 KiB of pseudo-random bytes.
const text = path.join(dir, "data.txt");
const binary = path.join(dir, "data.bin");
const lines: string[] = [];
for (let i = 1; i <= 300; i++)
  lines.push(`line ${i} ${(i * 7919) % 1000} w${i % 37} ${(i * 0.37).toFixed(2)}`);
fs.writeFileSync(text, `${lines.join("\n")}\n`);
const bytes = Buffer.alloc(2048);
let s = 12345;
for (let i = 0; i < bytes.length; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  bytes[i] = s >>> 24;
}
fs.writeFileSync(binary, bytes);
fs.utimesSync(text, 1_700_000_000, 1_700_000_000);

const cases: [string, string[], string?][] = [
  ["sha256sum", ["sha256sum", text, binary]],
  ["md5sum", ["md5sum", text, binary]],
  ["awk sums", ["awk", '{ s += $3; t += $5 } END { printf "%d %.4f %d\\n", s, t / NR, NR }', text]],
  [
    "awk math",
    [
      "awk",
      'BEGIN { for (i = 1; i <= 12; i++) printf "%.6f %g %d\\n", sqrt(i) * 3.7, exp(i / 3), int(i * 2.5) }',
    ],
  ],
  ["sort", ["sort", "-k3,3n", "-k1,1", text]],
  ["sort -r", ["sort", "-r", text]],
  ["sed", ["sed", "-e", "s/line/LINE/g", "-e", "/5 /d", "-e", "s/w\\([0-9]*\\)/<\\1>/", text]],
  ["gzip", ["gzip", "-c", text]],
  ["xxd", ["xxd", binary]],
  ["od", ["od", "-A", "x", "-t", "x2", binary]],
  ["wc stdin", ["wc"], text],
  ["tr | uniq", ["tr", "a-z", "A-Z"], text],
];

/** The applets the JIT tier runs too (half of them: the suite stays within twice its time). */
const JIT_CASES = new Set(["sha256sum", "awk math", "sort", "sed", "gzip", "wc stdin"]);

forEachTier((tier, run) => {
  for (const [name, args, stdin] of cases) {
    if (tier === "jit" && !JIT_CASES.has(name)) continue;
    test(`busybox ${name}: same output as qemu-aarch64 (${tier})`, { skip }, async () => {
      const reference = qemu(busybox, args, stdin);
      const mine = run(() => ours(busybox, args, stdin));
      const expected = await reference;
      const hint = traceDiffHint(busybox, args);
      assert.equal(mine.stdout.toString("latin1"), expected.stdout.toString("latin1"), hint);
      assert.equal(mine.status, expected.status, hint);
    });
  }
});

test("busybox gzip | gunzip round-trips under gunyah exec", { skip }, () => {
  const packed = ours(busybox, ["gzip", "-c", text]);
  const gz = path.join(dir, "data.txt.gz");
  fs.writeFileSync(gz, packed.stdout);
  const unpacked = ours(busybox, ["gunzip", "-c"], gz);
  assert.equal(unpacked.status, 0);
  assert.equal(unpacked.stdout.toString(), fs.readFileSync(text, "utf8"));
});
