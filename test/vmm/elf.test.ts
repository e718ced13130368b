// The ELF kernel loader (src/vmm/elf.ts) on hand-built ELF64 headers: PT_LOAD segments
// land at their physical addresses with their .bss zeroed, and every other kind of
// file a user may pass by mistake is refused with its own reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseKernel, planBoot } from "../../src/vmm/loader.js";
import { parseElf } from "../../src/vmm/elf.js";

const RAM = { base: 0x4000_0000, size: 64 << 20 };

interface Seg {
  type?: number;
  paddr: number;
  data: number[];
  memsz?: number;
}

/** An ELF64 header + program headers + segment data, little-endian unless told. */
function elf(opts: {
  machine?: number;
  cls?: number;
  data?: number;
  type?: number;
  entry: number;
  segs: Seg[];
}): Uint8Array {
  const phoff = 64;
  let dataOff = phoff + 56 * opts.segs.length;
  const size = dataOff + opts.segs.reduce((n, s) => n + s.data.length, 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 2, opts.data ?? 1, 1]);
  v.setUint16(16, opts.type ?? 2, true);
  v.setUint16(18, opts.machine ?? 183, true);
  v.setBigUint64(24, BigInt(opts.entry), true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setUint16(54, 56, true);
  v.setUint16(56, opts.segs.length, true);
  opts.segs.forEach((s, i) => {
    const p = phoff + i * 56;
    v.setUint32(p, s.type ?? 1, true);
    v.setBigUint64(p + 8, BigInt(dataOff), true);
    v.setBigUint64(p + 16, BigInt(s.paddr), true); // p_vaddr
    v.setBigUint64(p + 24, BigInt(s.paddr), true);
    v.setBigUint64(p + 32, BigInt(s.data.length), true);
    v.setBigUint64(p + 40, BigInt(s.memsz ?? s.data.length), true);
    b.set(s.data, dataOff);
    dataOff += s.data.length;
  });
  return b;
}

test("PT_LOAD segments load at their physical addresses, .bss zeroed, entered at e_entry", () => {
  const file = elf({
    entry: 0x4008_0004,
    segs: [
      { paddr: 0x4008_0000, data: [1, 2, 3, 4, 5, 6, 7, 8] },
      { type: 4, paddr: 0, data: [9, 9] }, // PT_NOTE: not loaded
      { paddr: 0x4008_1000, data: [0xaa], memsz: 16 },
    ],
  });
  const k = parseKernel(file, RAM);
  assert.ok(k.ok, k.ok ? "" : JSON.stringify(k.error));
  assert.equal(k.value.format, "elf");
  assert.equal(k.value.textOffset, 0x8_0000);
  assert.equal(k.value.footprint, 0x1010);
  assert.deepEqual([...k.value.bytes.subarray(0, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(k.value.bytes[0x1000], 0xaa);
  assert.ok(
    k.value.bytes.subarray(0x1001).every((x) => x === 0),
    "bss is zero",
  );
  const plan = planBoot({ ramSize: RAM.size, kernel: k.value, dtbReserve: 0x10000 });
  assert.ok(plan.ok);
  assert.equal(plan.value.entryOffset, 0x8_0004);
  assert.deepEqual(plan.value.kernel, { offset: 0x8_0000, size: 0x1010 });
  assert.equal(plan.value.dtb.offset, 0x20_0000, "the DTB still follows the kernel");
});

test("each unbootable file gets its own reason before the VM starts", () => {
  const seg = [{ paddr: 0x4000_0000, data: [0, 0, 0, 0] }];
  const cases: Array<[Uint8Array, RegExp]> = [
    [
      elf({ machine: 62, entry: 0x4000_0000, segs: seg }),
      /ELF for x86-64 \(e_machine 62\), not AArch64/,
    ],
    [elf({ cls: 1, entry: 0x4000_0000, segs: seg }), /32-bit ELF/],
    [elf({ data: 2, entry: 0x4000_0000, segs: seg }), /big-endian ELF/],
    [elf({ type: 1, entry: 0x4000_0000, segs: seg }), /not an executable/],
    [
      elf({ entry: 0x4000_0000, segs: [{ paddr: 0x1000, data: [0] }] }),
      /segment at 0x1000-0x1001 is outside guest RAM/,
    ],
    [elf({ entry: 0x5000_0000, segs: seg }), /entry point 0x50000000 is outside/],
    [elf({ entry: 0x4000_0000, segs: [{ type: 4, paddr: 0, data: [0] }] }), /no PT_LOAD/],
    [new TextEncoder().encode("#!/bin/sh\necho this is not a kernel\n"), /a text file/],
    [Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3), /gzip-compressed/],
  ];
  for (const [bytes, reason] of cases) {
    const k = parseKernel(bytes, RAM);
    assert.ok(!k.ok, String(reason));
    assert.match(JSON.stringify(k.error), reason);
  }
});

test("truncated and hostile headers are refused, never read out of bounds", () => {
  const good = elf({ entry: 0x4000_0000, segs: [{ paddr: 0x4000_0000, data: [1, 2, 3, 4] }] });
  for (let len = 4; len < good.length; len += 7) {
    const r = parseElf(good.subarray(0, len));
    assert.ok(!r.ok || len >= 64 + 56 + 4, `length ${len}`);
  }
  const hostile = good.slice();
  new DataView(hostile.buffer).setBigUint64(64 + 32, 0xffff_ffff_ffffn, true); // p_filesz
  assert.match(String((parseElf(hostile) as { error: string }).error), /outside the file|2\^53/);
  const bigPhnum = good.slice();
  new DataView(bigPhnum.buffer).setUint16(56, 5000, true);
  assert.ok(!parseElf(bigPhnum).ok);
});
