// Hostile syscalls: every handler of the table, called with random arguments (small
// numbers, pointers into and around a mapping, huge values) must answer with a result
// or -errno and never throw. Paths the guest passes are built from an alphabet without
// '/' and '.', the process's cwd is a temporary directory and its stdio a file there,
// so the host filesystem outside it is never touched.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../../src/exec/memory.js";
import { ProcessState } from "../../src/exec/state.js";
import type { Args } from "../../src/exec/syscalls/args.js";
import { SYSCALLS } from "../../src/exec/syscalls/table.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-syscall-fuzz-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// The process's stdio is a file in that directory too, not /dev/null: random fchmod,
// fchown, ftruncate or fallocate calls on descriptors 0-2 reach the host file (as
// `gunyah exec`, like qemu-aarch64, passes them through), and as root they once left
// this machine's /dev/null with mode 000, which other tests then read through fstat.
const stdio = fs.openSync(path.join(dir, "stdio"), "w+");
after(() => fs.closeSync(stdio));
const SCRATCH = 0x20000;
const PAGES = 4;
/** Calls that would sleep or change the test process's view of time. */
const SLOW = new Set(["nanosleep", "clock_nanosleep"]);
const numbers = [...SYSCALLS.entries()].filter(([, e]) => !SLOW.has(e.name)).map(([nr]) => nr);

const argument = fc.oneof(
  fc.constantFrom(
    0n,
    1n,
    2n,
    3n,
    8n,
    24n,
    0x1000n,
    2n ** 64n - 1n,
    2n ** 63n,
    2n ** 32n,
    -100n & (2n ** 64n - 1n),
  ),
  fc.integer({ min: 0, max: PAGES * 4096 + 64 }).map((o) => BigInt(SCRATCH - 32 + o)),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

test("random syscalls with random arguments never throw", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.constantFrom(...numbers), fc.array(argument, { minLength: 6, maxLength: 6 })),
        {
          minLength: 1,
          maxLength: 25,
        },
      ),
      fc.uint8Array({ minLength: 256, maxLength: 256 }),
      (calls, noise) => {
        const mem = new AddressSpace({ maxResidentPages: 1024 });
        mem.mapAnonymous(SCRATCH / 4096, PAGES, PROT_READ | PROT_WRITE);
        // Guest memory: short names from a safe alphabet, NUL-separated.
        const alphabet = "abcxyz";
        const bytes = Uint8Array.from(noise, (b) =>
          b % 5 === 0 ? 0 : alphabet.charCodeAt(b % alphabet.length),
        );
        for (let i = 0; i < PAGES * 16; i++) mem.poke(SCRATCH + i * 256, bytes);
        const p = new ProcessState(
          mem,
          { pid: 7, ppid: 1, uid: 0, gid: 0 },
          { stdin: stdio, stdout: stdio, stderr: stdio },
          dir,
          "/prog",
        );
        p.brkStart = p.brk = 0x400000;
        for (const [nr, args] of calls) {
          const entry = SYSCALLS.get(nr);
          assert.ok(entry);
          const r = entry.handler(p, args as unknown as Args);
          assert.ok(
            typeof r === "number" || typeof r === "bigint",
            `${entry.name} returned ${String(r)}`,
          );
          assert.ok(
            p.cwd.startsWith(dir),
            `${entry.name} moved the cwd out of the sandbox: ${p.cwd}`,
          );
        }
        p.files.closeAll();
      },
    ),
    { numRuns: 1500 },
  );
});
