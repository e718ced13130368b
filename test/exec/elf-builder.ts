// Builds small ELF64 files in memory for the loader's tests (valid ones, then broken
// one field at a time).

export interface SegmentSpec {
  type?: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align?: number;
}

export interface ElfSpec {
  entry?: number;
  type?: number;
  machine?: number;
  segments: SegmentSpec[];
  size?: number;
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const phoff = 64;
  const size = spec.size ?? Math.max(0x2000, phoff + spec.segments.length * 56);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, spec.type ?? 2, true);
  v.setUint16(18, spec.machine ?? 183, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(spec.entry ?? 0x400000 + 0x1000), true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, spec.segments.length, true);
  spec.segments.forEach((s, i) => {
    const at = phoff + i * 56;
    v.setUint32(at, s.type ?? 1, true);
    v.setUint32(at + 4, s.flags, true);
    v.setBigUint64(at + 8, BigInt(s.offset), true);
    v.setBigUint64(at + 16, BigInt(s.vaddr), true);
    v.setBigUint64(at + 24, BigInt(s.vaddr), true);
    v.setBigUint64(at + 32, BigInt(s.filesz), true);
    v.setBigUint64(at + 40, BigInt(s.memsz), true);
    v.setBigUint64(at + 48, BigInt(s.align ?? 0x1000), true);
  });
  return out;
}

/** A minimal valid program: code at 0x400000 (R X, covering the headers), data + bss. */
export function minimalElf(): Uint8Array {
  const elf = buildElf({
    entry: 0x401000,
    size: 0x3000,
    segments: [
      { flags: 5, offset: 0, vaddr: 0x400000, filesz: 0x1100, memsz: 0x1100 },
      { flags: 6, offset: 0x2000, vaddr: 0x412000, filesz: 0x10, memsz: 0x3000 },
    ],
  });
  elf.set([0xaa, 0xbb, 0xcc], 0x2000);
  elf.set([0xee], 0x2010); // past p_filesz: must read as zero (bss)
  return elf;
}
