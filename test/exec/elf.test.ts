import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseElf } from "../../src/exec/elf.js";
import { loadProgram, STACK_TOP } from "../../src/exec/loader.js";
import { AddressSpace } from "../../src/exec/memory.js";
import { buildElf, minimalElf } from "./elf-builder.js";

const loadOptions = {
  argv: ["prog"],
  envp: [],
  execfn: "prog",
  random: new Uint8Array(16),
  hwcap: 3n,
  hwcap2: 0n,
  ids: { uid: 0, euid: 0, gid: 0, egid: 0 },
};

test("a minimal static program parses and loads with bss zeroed", () => {
  const r = parseElf(minimalElf());
  assert.ok(r.ok, r.ok ? "" : r.error);
  assert.equal(r.value.entry, 0x401000);
  assert.equal(r.value.phdrVaddr, 0x400040);
  const mem = new AddressSpace();
  const loaded = loadProgram(mem, minimalElf(), loadOptions);
  assert.ok(loaded.ok);
  assert.equal(loaded.value.brkStart, 0x415000);
  const data = mem.read(0x412000, 0x20);
  assert.ok(data.ok);
  assert.deepEqual([...data.value.subarray(0, 4)], [0xaa, 0xbb, 0xcc, 0]);
  assert.equal(data.value[0x10], 0, "bytes past p_filesz are bss");
  assert.equal(mem.protOf(0x400), 5, "code is R+X");
  assert.equal(mem.protOf(0x412), 3, "data is R+W");
  assert.ok(loaded.value.sp < STACK_TOP && loaded.value.sp % 16 === 0);
});

function withHeader(mutate: (v: DataView) => void): Uint8Array {
  const elf = minimalElf();
  mutate(new DataView(elf.buffer));
  return elf;
}

const broken: [string, Uint8Array, RegExp][] = [
  ["empty file", new Uint8Array(0), /too short/],
  ["bad magic", withHeader((v) => v.setUint8(1, 0x46)), /magic/],
  ["32-bit", withHeader((v) => v.setUint8(4, 1)), /64-bit/],
  ["big-endian", withHeader((v) => v.setUint8(5, 2)), /little-endian/],
  ["x86-64", withHeader((v) => v.setUint16(18, 62, true)), /AArch64/],
  ["relocatable", withHeader((v) => v.setUint16(16, 1, true)), /not an executable/],
  ["bad phentsize", withHeader((v) => v.setUint16(54, 32, true)), /e_phentsize/],
  ["no program headers", withHeader((v) => v.setUint16(56, 0, true)), /no program headers/],
  ["PN_XNUM", withHeader((v) => v.setUint16(56, 0xffff, true)), /extended/],
  ["phoff past the end", withHeader((v) => v.setBigUint64(32, 1n << 62n, true)), /past the end/],
  [
    "entry not executable",
    withHeader((v) => v.setBigUint64(24, 0x412000n, true)),
    /not in an executable/,
  ],
  ["entry misaligned", withHeader((v) => v.setBigUint64(24, 0x401002n, true)), /aligned/],
  [
    "filesz > memsz",
    withHeader((v) => v.setBigUint64(64 + 56 + 32, 0x4000n, true)),
    /p_filesz exceeds/,
  ],
  [
    "segment past EOF",
    withHeader((v) => v.setBigUint64(64 + 8, 0x2800n, true)),
    /past the end|congruent/,
  ],
  [
    "vaddr wraps",
    withHeader((v) => v.setBigUint64(64 + 56 + 16, (1n << 64n) - 0x1000n, true)),
    /out of range|user space/,
  ],
  [
    "kernel address",
    withHeader((v) => v.setBigUint64(64 + 56 + 16, 0xffff_0000_0000_0000n, true)),
    /out of range|user space/,
  ],
  ["bad alignment", withHeader((v) => v.setBigUint64(64 + 48, 0x1001n, true)), /power of two/],
  [
    "incongruent offset",
    withHeader((v) => v.setBigUint64(64 + 56 + 8, 0x2008n, true)),
    /congruent/,
  ],
  ["unknown flags", withHeader((v) => v.setUint32(64 + 4, 0x105, true)), /p_flags/],
  [
    "page zero",
    withHeader((v) => v.setBigUint64(64 + 56 + 16, 0n, true)),
    /page zero|overlap|congruent/,
  ],
  [
    "interpreter",
    buildElf({
      entry: 0x400000,
      segments: [{ type: 3, flags: 4, offset: 0x100, vaddr: 0, filesz: 8, memsz: 8 }],
    }),
    /dynamically linked/,
  ],
  [
    "overlapping segments",
    buildElf({
      entry: 0x400000,
      segments: [
        { flags: 5, offset: 0, vaddr: 0x400000, filesz: 0x1000, memsz: 0x1000 },
        { flags: 6, offset: 0x800, vaddr: 0x400800, filesz: 0x10, memsz: 0x10 },
      ],
    }),
    /overlap/,
  ],
];

for (const [name, file, message] of broken) {
  test(`a hostile ELF is refused with a clear error: ${name}`, () => {
    const r = parseElf(file);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, message);
  });
}

test("random corruption of a valid ELF never throws", () => {
  const base = minimalElf();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(0x1ff), fc.nat(255)), { minLength: 1, maxLength: 12 }),
      (edits) => {
        const elf = base.slice();
        for (const [at, value] of edits) elf[at] = value;
        const parsed = parseElf(elf);
        if (parsed.ok) {
          const loaded = loadProgram(
            new AddressSpace({ maxResidentPages: 4096 }),
            elf,
            loadOptions,
          );
          assert.equal(typeof loaded.ok, "boolean");
        }
      },
    ),
    { numRuns: 400 },
  );
});
