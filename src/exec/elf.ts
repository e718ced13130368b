// ELF64 parsing and validation for static AArch64 Linux executables (System V gABI,
// "ELF-64 Object File Format"; AArch64 ELF ABI). Every header field a loader relies
// on is checked here, so that a hostile file gets a clear error, never a crash or a
// mapping outside user space.

import { PAGE_SIZE } from "../arch/arm64/index.js";
import { checkedAdd, isPowerOfTwo, u64ToSafe } from "../lib/checked.js";
import { layout, u16, u32, u64, bytes } from "../lib/layout.js";
import { err, ok } from "../lib/result.js";
import type { Result } from "../lib/result.js";
import { USER_VA_LIMIT } from "./memory.js";

const ElfHeader = layout({
  ident: bytes(16),
  type: u16,
  machine: u16,
  version: u32,
  entry: u64,
  phoff: u64,
  shoff: u64,
  flags: u32,
  ehsize: u16,
  phentsize: u16,
  phnum: u16,
  shentsize: u16,
  shnum: u16,
  shstrndx: u16,
});

const ProgramHeader = layout({
  type: u32,
  flags: u32,
  offset: u64,
  vaddr: u64,
  paddr: u64,
  filesz: u64,
  memsz: u64,
  align: u64,
});

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const EM_AARCH64 = 183;
export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
/** Linux refuses program-header tables above 64 KiB (fs/binfmt_elf.c, load_elf_phdrs). */
const MAX_PHDR_TABLE = 65536;

export interface Segment {
  readonly vaddr: number;
  readonly memsz: number;
  readonly offset: number;
  readonly filesz: number;
  readonly flags: number;
}

export interface ElfImage {
  readonly type: typeof ET_EXEC | typeof ET_DYN;
  readonly entry: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly segments: readonly Segment[];
  /** PT_GNU_STACK asked for an executable stack. */
  readonly execStack: boolean;
  /** Virtual address of the program headers in the loaded image (AT_PHDR), or 0. */
  readonly phdrVaddr: number;
}

/** Parses and validates a static AArch64 executable. Addresses are before any load bias. */
export function parseElf(file: Uint8Array): Result<ElfImage, string> {
  const h = ElfHeader.decode(file);
  if (!h) return err(`file too short for an ELF header (${file.length} bytes)`);
  const id = h.ident;
  if (id[0] !== 0x7f || id[1] !== 0x45 || id[2] !== 0x4c || id[3] !== 0x46)
    return err("not an ELF file (bad magic)");
  if (id[4] !== 2) return err(`not a 64-bit ELF (EI_CLASS ${id[4]})`);
  if (id[5] !== 1) return err(`not little-endian (EI_DATA ${id[5]})`);
  if (id[6] !== 1) return err(`unknown ELF identification version ${id[6]}`);
  if (id[7] !== 0 && id[7] !== 3) return err(`unsupported OS ABI ${id[7]}`);
  if (h.version !== 1) return err(`unknown ELF version ${h.version}`);
  if (h.machine !== EM_AARCH64) return err(`not an AArch64 program (e_machine ${h.machine})`);
  if (h.type !== ET_EXEC && h.type !== ET_DYN) return err(`not an executable (e_type ${h.type})`);
  if (h.ehsize !== ElfHeader.size) return err(`bad e_ehsize ${h.ehsize}`);
  if (h.phentsize !== ProgramHeader.size) return err(`bad e_phentsize ${h.phentsize}`);
  if (h.phnum === 0) return err("no program headers");
  if (h.phnum === 0xffff) return err("extended program-header numbering is not supported");
  const phoff = u64ToSafe(h.phoff);
  const tableSize = h.phnum * ProgramHeader.size;
  const tableEnd = phoff === undefined ? undefined : checkedAdd(phoff, tableSize);
  if (phoff === undefined || tableEnd === undefined || tableEnd > file.length)
    return err("program-header table runs past the end of the file");
  if (tableSize > MAX_PHDR_TABLE) return err("program-header table too large");
  const entry = u64ToSafe(h.entry);
  if (entry === undefined || entry >= USER_VA_LIMIT) return err("entry point outside user space");

  const segments: Segment[] = [];
  let execStack = false;
  for (let i = 0; i < h.phnum; i++) {
    const ph = ProgramHeader.decode(file, phoff + i * ProgramHeader.size);
    if (!ph) return err(`program header ${i} truncated`);
    if (ph.type === PT_INTERP)
      return err("dynamically linked program (PT_INTERP): only static executables run here");
    if (ph.type === PT_GNU_STACK) execStack = (ph.flags & PF_X) !== 0;
    if (ph.type !== PT_LOAD) continue;
    const seg = checkLoadSegment(ph, i, file.length, h.type === ET_DYN);
    if (!seg.ok) return seg;
    segments.push(seg.value);
  }
  if (segments.length === 0) return err("no PT_LOAD segment");
  // Segments may share a page (the loader merges their permissions) but not a byte.
  const sorted = [...segments].sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && prev.vaddr + prev.memsz > cur.vaddr)
      return err(`PT_LOAD segments at 0x${hex(prev.vaddr)} and 0x${hex(cur.vaddr)} overlap`);
  }
  const inExec = segments.some(
    (s) => (s.flags & PF_X) !== 0 && entry >= s.vaddr && entry < s.vaddr + s.memsz,
  );
  if (!inExec) return err(`entry point 0x${entry.toString(16)} is not in an executable segment`);
  if (entry % 4 !== 0) return err("entry point is not 4-byte aligned");

  // AT_PHDR as Linux computes it: the first PT_LOAD whose file range holds e_phoff.
  const holder = segments.find((s) => s.offset <= phoff && phoff < s.offset + s.filesz);
  const phdrVaddr = holder ? holder.vaddr + (phoff - holder.offset) : 0;
  return ok({
    type: h.type,
    entry,
    phoff,
    phentsize: h.phentsize,
    phnum: h.phnum,
    segments,
    execStack,
    phdrVaddr,
  });
}

function hex(n: number): string {
  return n.toString(16);
}

function checkLoadSegment(
  ph: NonNullable<ReturnType<typeof ProgramHeader.decode>>,
  index: number,
  fileLength: number,
  relocatable: boolean,
): Result<Segment, string> {
  const what = `PT_LOAD ${index}`;
  const vaddr = u64ToSafe(ph.vaddr);
  const memsz = u64ToSafe(ph.memsz);
  const offset = u64ToSafe(ph.offset);
  const filesz = u64ToSafe(ph.filesz);
  const align = u64ToSafe(ph.align);
  if (vaddr === undefined || memsz === undefined || offset === undefined || filesz === undefined)
    return err(`${what}: field out of range`);
  if (align === undefined || (align > 1 && !isPowerOfTwo(align)))
    return err(`${what}: p_align ${ph.align} is not a power of two`);
  if (filesz > memsz) return err(`${what}: p_filesz exceeds p_memsz`);
  const fileEnd = checkedAdd(offset, filesz);
  if (fileEnd === undefined || fileEnd > fileLength)
    return err(`${what}: file range runs past the end of the file`);
  const memEnd = checkedAdd(vaddr, memsz);
  if (memEnd === undefined || memEnd > USER_VA_LIMIT)
    return err(`${what}: [0x${vaddr.toString(16)}, +0x${memsz.toString(16)}) leaves user space`);
  // A static PIE (ET_DYN) is linked at 0 and loaded at a bias; an executable may not
  // map page zero (Linux's mmap_min_addr).
  if (!relocatable && vaddr < PAGE_SIZE && memsz > 0) return err(`${what}: maps page zero`);
  // mmap needs the file offset and the address congruent modulo the page size.
  if (vaddr % PAGE_SIZE !== offset % PAGE_SIZE)
    return err(`${what}: p_vaddr and p_offset are not congruent modulo the page size`);
  // Bits 20-31 are PF_MASKOS and PF_MASKPROC (allowed, ignored); others are undefined.
  if ((ph.flags & 0x000ffff8) !== 0)
    return err(`${what}: unknown p_flags 0x${ph.flags.toString(16)}`);
  return ok({ vaddr, memsz, offset, filesz, flags: ph.flags & (PF_R | PF_W | PF_X) });
}
