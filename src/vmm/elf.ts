// An AArch64 ELF kernel (a bare-metal program linked with -T, or vmlinux), loaded as
// QEMU's -kernel loads one: every PT_LOAD segment at its physical address (p_paddr),
// p_filesz bytes from the file and zeros up to p_memsz, entered at e_entry. The layout
// is the System V gABI's ELF64 header and program header table (Elf64_Ehdr, Elf64_Phdr);
// every offset and size is checked against the file before it is read.

import { err, ok, type Result } from "../lib/result.js";
import { checkedAdd, u64ToSafe } from "../lib/checked.js";

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46]; // "\x7fELF"
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const EM_AARCH64 = 183;
const PT_LOAD = 1;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
/** A sanity bound on e_phnum: real kernels have a handful of segments. */
const MAX_SEGMENTS = 64;

/** e_machine values a user is likely to pass by mistake, for the error message. */
const MACHINE_NAMES: Readonly<Record<number, string>> = {
  3: "x86 (i386)",
  8: "MIPS",
  20: "PowerPC",
  21: "PowerPC64",
  40: "32-bit Arm",
  62: "x86-64",
  243: "RISC-V",
};

export interface ElfSegment {
  /** Guest physical address of the segment's first byte. */
  readonly paddr: number;
  readonly data: Uint8Array;
  /** Bytes the segment occupies (data plus zero fill). */
  readonly memSize: number;
}

export interface ElfKernel {
  readonly entry: number;
  readonly segments: readonly ElfSegment[];
}

export function hasElfMagic(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** Parses an ELF64 little-endian AArch64 executable; the reason says what it is instead. */
export function parseElf(bytes: Uint8Array): Result<ElfKernel, string> {
  if (!hasElfMagic(bytes)) return err("no ELF magic");
  if (bytes.length < EHDR_SIZE) return err("an ELF file shorter than its header");
  if (bytes[4] !== ELFCLASS64) return err("a 32-bit ELF (ELFCLASS32), not AArch64");
  if (bytes[5] !== ELFDATA2LSB) return err("a big-endian ELF, not little-endian AArch64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_AARCH64) {
    const name = MACHINE_NAMES[machine] ?? "another machine";
    return err(`an ELF for ${name} (e_machine ${machine}), not AArch64 (${EM_AARCH64})`);
  }
  if (type !== ET_EXEC && type !== ET_DYN)
    return err(`an ELF of type ${type}, not an executable (link it, e.g. with -T <script>)`);
  const entry = u64ToSafe(view.getBigUint64(24, true));
  const phoff = u64ToSafe(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (entry === undefined) return err("an ELF whose entry point is above 2^53");
  if (phnum === 0 || phnum > MAX_SEGMENTS)
    return err(`an ELF with ${phnum} program headers (1 to ${MAX_SEGMENTS} supported)`);
  if (phentsize !== PHDR_SIZE) return err(`an ELF with ${phentsize}-byte program headers`);
  const tableEnd = phoff === undefined ? undefined : checkedAdd(phoff, phnum * PHDR_SIZE);
  if (phoff === undefined || tableEnd === undefined || tableEnd > bytes.length)
    return err("an ELF whose program header table lies outside the file");
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const s = readSegment(view, bytes, phoff + i * PHDR_SIZE, i);
    if (typeof s === "string") return err(s);
    if (s) segments.push(s);
  }
  if (segments.length === 0) return err("an ELF with no PT_LOAD segment");
  return ok({ entry, segments });
}

function readSegment(
  view: DataView,
  bytes: Uint8Array,
  at: number,
  index: number,
): ElfSegment | string | undefined {
  if (view.getUint32(at, true) !== PT_LOAD) return undefined;
  const offset = u64ToSafe(view.getBigUint64(at + 8, true));
  const paddr = u64ToSafe(view.getBigUint64(at + 24, true));
  const fileSize = u64ToSafe(view.getBigUint64(at + 32, true));
  const memSize = u64ToSafe(view.getBigUint64(at + 40, true));
  if (
    offset === undefined ||
    paddr === undefined ||
    fileSize === undefined ||
    memSize === undefined
  )
    return `an ELF whose segment ${index} has a field above 2^53`;
  const fileEnd = checkedAdd(offset, fileSize);
  if (fileEnd === undefined || fileEnd > bytes.length)
    return `an ELF whose segment ${index} lies outside the file`;
  if (memSize < fileSize) return `an ELF whose segment ${index} has p_memsz < p_filesz`;
  if (memSize === 0) return undefined;
  return { paddr, data: bytes.subarray(offset, fileEnd), memSize };
}

/**
 * The segments as one image from the lowest address to the end of the highest (zero
 * filled between and after them), or why they do not fit [ramBase, ramBase + ramSize).
 */
export function flattenElf(
  elf: ElfKernel,
  ramBase: number,
  ramSize: number,
): Result<{ image: Uint8Array; offset: number; entryOffset: number }, string> {
  const ramEnd = ramBase + ramSize;
  let low = Infinity;
  let high = 0;
  for (const s of elf.segments) {
    const end = s.paddr + s.memSize;
    if (s.paddr < ramBase || end > ramEnd)
      return err(
        `its segment at 0x${s.paddr.toString(16)}-0x${end.toString(16)} is outside guest RAM ` +
          `(0x${ramBase.toString(16)}-0x${ramEnd.toString(16)})`,
      );
    low = Math.min(low, s.paddr);
    high = Math.max(high, end);
  }
  if (elf.entry < low || elf.entry >= high)
    return err(`its entry point 0x${elf.entry.toString(16)} is outside its loaded segments`);
  const image = new Uint8Array(high - low);
  for (const s of elf.segments) image.set(s.data, s.paddr - low);
  return ok({ image, offset: low - ramBase, entryOffset: elf.entry - ramBase });
}
