// Kernel loaders and the boot memory plan. An arm64 Linux `Image` is recognised by the
// 64-byte header of Documentation/arm64/booting.rst ("Call the kernel image"): it is
// loaded at a 2 MiB-aligned base + text_offset and needs image_size bytes there (its
// .bss included). An AArch64 ELF is loaded at its segments' physical addresses and
// entered at e_entry (elf.ts). A file that is none of these but plainly something else
// (text, a gzip'd Image, another architecture's ELF) is refused before the VM starts;
// anything else is a raw binary loaded and entered at the RAM base.
// The device tree goes at the next 2 MiB boundary after the kernel (booting.rst: it
// is mapped with 2 MiB blocks, so it gets a region of its own), the initrd after it.

import { err, ok, type Result } from "../lib/result.js";
import { alignUp, checkedAdd, u64ToSafe } from "../lib/checked.js";
import { layout, u32, u64 } from "../lib/layout.js";
import { flattenElf, hasElfMagic, parseElf } from "./elf.js";

export const IMAGE_MAGIC = 0x644d_5241; // "ARM\x64", little endian
const SZ_2M = 0x20_0000;
const PAGE = 0x1000;
/** Assumed by kernels older than 3.17, whose header has image_size 0 (booting.rst). */
const LEGACY_TEXT_OFFSET = 0x8_0000;

/** booting.rst's header; res2..res4 are reserved but not checked (older kernels). */
export const ImageHeader = layout({
  code0: u32,
  code1: u32,
  textOffset: u64,
  imageSize: u64,
  flags: u64,
  res2: u64,
  res3: u64,
  res4: u64,
  magic: u32,
  res5: u32,
});

/** Header flags (booting.rst): bit 0 big-endian kernel. */
const FLAG_BE = 1n;

export type LoadError =
  | { readonly kind: "empty-kernel" }
  | { readonly kind: "bad-image-header"; readonly reason: string }
  | { readonly kind: "bad-elf"; readonly reason: string }
  | { readonly kind: "not-a-kernel"; readonly reason: string }
  | {
      readonly kind: "does-not-fit";
      readonly what: string;
      readonly need: number;
      readonly have: number;
    };

export function describeLoadError(e: LoadError): string {
  switch (e.kind) {
    case "empty-kernel":
      return "the kernel file is empty";
    case "bad-image-header":
      return `not a usable arm64 Image: ${e.reason}`;
    case "bad-elf":
      return `not a bootable AArch64 ELF: ${e.reason}`;
    case "not-a-kernel":
      return `not a kernel: ${e.reason}`;
    case "does-not-fit":
      return `${e.what} needs ${mib(e.need)} of guest memory but only ${mib(e.have)} is available`;
  }
}

function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} bytes`;
}

export interface KernelImage {
  readonly format: "linux-image" | "elf" | "raw";
  readonly bytes: Uint8Array;
  /** Offset from the 2 MiB-aligned load base (the RAM base here) of the first byte. */
  readonly textOffset: number;
  /** Bytes the kernel occupies from its load address, .bss included. */
  readonly footprint: number;
  /** Offset from the RAM base of the first instruction (default: textOffset). */
  readonly entryOffset?: number;
}

export function hasImageMagic(bytes: Uint8Array): boolean {
  const h = ImageHeader.decode(bytes);
  return h !== undefined && h.magic === IMAGE_MAGIC;
}

/** Parses an arm64 `Image`; refuses a bad magic, a big-endian kernel or a bad layout. */
export function parseLinuxImage(bytes: Uint8Array): Result<KernelImage, LoadError> {
  const h = ImageHeader.decode(bytes);
  if (!h)
    return err({
      kind: "bad-image-header",
      reason: `shorter than the ${ImageHeader.size}-byte header`,
    });
  if (h.magic !== IMAGE_MAGIC)
    return err({
      kind: "bad-image-header",
      reason: `magic is 0x${h.magic.toString(16)}, not "ARM\\x64"`,
    });
  if ((h.flags & FLAG_BE) !== 0n)
    return err({ kind: "bad-image-header", reason: "big-endian kernel" });
  const legacy = h.imageSize === 0n;
  const textOffset = legacy ? LEGACY_TEXT_OFFSET : u64ToSafe(h.textOffset);
  const declared = legacy ? bytes.length : u64ToSafe(h.imageSize);
  if (textOffset === undefined || textOffset % PAGE !== 0)
    return err({
      kind: "bad-image-header",
      reason: `text_offset 0x${h.textOffset.toString(16)} is not page aligned`,
    });
  if (declared === undefined || declared < bytes.length)
    return err({
      kind: "bad-image-header",
      reason: `image_size ${h.imageSize} is smaller than the file (${bytes.length} bytes)`,
    });
  return ok({ format: "linux-image", bytes, textOffset, footprint: declared });
}

/** Where guest RAM is, for a kernel (an ELF) that names its own physical addresses. */
export interface RamRange {
  readonly base: number;
  readonly size: number;
}

/**
 * An `Image` if the header says so, an ELF if it has the ELF magic, otherwise a raw
 * binary entered at its first byte, unless it is recognisably something unbootable.
 */
export function parseKernel(bytes: Uint8Array, ram?: RamRange): Result<KernelImage, LoadError> {
  if (bytes.length === 0) return err({ kind: "empty-kernel" });
  if (hasImageMagic(bytes)) return parseLinuxImage(bytes);
  if (hasElfMagic(bytes)) return parseElfKernel(bytes, ram);
  const unbootable = recogniseUnbootable(bytes);
  if (unbootable !== undefined) return err({ kind: "not-a-kernel", reason: unbootable });
  return ok({ format: "raw", bytes, textOffset: 0, footprint: bytes.length });
}

function parseElfKernel(
  bytes: Uint8Array,
  ram: RamRange | undefined,
): Result<KernelImage, LoadError> {
  const elf = parseElf(bytes);
  if (!elf.ok) return err({ kind: "bad-elf", reason: elf.error });
  // Without a RAM range (a caller that only classifies), any 48-bit address will do.
  const flat = flattenElf(elf.value, ram?.base ?? 0, ram?.size ?? 2 ** 48);
  if (!flat.ok) return err({ kind: "bad-elf", reason: flat.error });
  const { image, offset, entryOffset } = flat.value;
  return ok({
    format: "elf",
    bytes: image,
    textOffset: offset,
    footprint: image.length,
    entryOffset,
  });
}

const GZIP_MAGIC = [0x1f, 0x8b];
/** How much of the file the text heuristic looks at. */
const TEXT_SNIFF = 512;

/**
 * Why `bytes` cannot be a kernel, for files a user passes by mistake: a gzip'd Image
 * (arm64 kernels do not decompress themselves; booting.rst leaves that to the loader)
 * or a text file (a script, a config, an error page saved by a download).
 */
function recogniseUnbootable(bytes: Uint8Array): string | undefined {
  if (GZIP_MAGIC.every((b, i) => bytes[i] === b))
    return "a gzip-compressed file (an arm64 Image.gz?): decompress it first, e.g. with gunzip";
  const head = bytes.subarray(0, TEXT_SNIFF);
  const isText = head.every(
    (b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f),
  );
  if (isText) return "a text file, not an arm64 Image, an AArch64 ELF or a raw binary";
  return undefined;
}

/** Offsets are from the RAM base; all ranges lie inside [0, ramSize). */
export interface BootPlan {
  readonly kernel: { readonly offset: number; readonly size: number };
  readonly entryOffset: number;
  readonly dtb: { readonly offset: number; readonly size: number };
  readonly initrd?: { readonly offset: number; readonly size: number };
  /** First byte after everything the plan placed. */
  readonly end: number;
}

export interface PlanInput {
  readonly ramSize: number;
  readonly kernel: KernelImage;
  /** Space reserved for the device tree, including room for the RM's additions. */
  readonly dtbReserve: number;
  readonly initrdSize?: number;
}

export function planBoot(input: PlanInput): Result<BootPlan, LoadError> {
  const { ramSize, kernel, dtbReserve } = input;
  const kernelEnd = checkedAdd(kernel.textOffset, kernel.footprint);
  if (kernelEnd === undefined || kernelEnd > ramSize)
    return err({
      kind: "does-not-fit",
      what: "the kernel",
      need: kernelEnd ?? Infinity,
      have: ramSize,
    });
  const dtbOffset = alignUp(kernelEnd, SZ_2M);
  const dtbEnd = dtbOffset === undefined ? undefined : checkedAdd(dtbOffset, dtbReserve);
  if (dtbOffset === undefined || dtbEnd === undefined || dtbEnd > ramSize)
    return err({
      kind: "does-not-fit",
      what: "the kernel and device tree",
      need: dtbEnd ?? Infinity,
      have: ramSize,
    });
  const base = {
    kernel: { offset: kernel.textOffset, size: kernel.bytes.length },
    entryOffset: kernel.entryOffset ?? kernel.textOffset,
    dtb: { offset: dtbOffset, size: dtbReserve },
  };
  if (input.initrdSize === undefined) return ok({ ...base, end: dtbEnd });
  const initrdOffset = alignUp(dtbEnd, PAGE);
  const initrdEnd =
    initrdOffset === undefined ? undefined : checkedAdd(initrdOffset, input.initrdSize);
  if (initrdOffset === undefined || initrdEnd === undefined || initrdEnd > ramSize)
    return err({
      kind: "does-not-fit",
      what: "the kernel, device tree and initrd",
      need: initrdEnd ?? Infinity,
      have: ramSize,
    });
  return ok({ ...base, initrd: { offset: initrdOffset, size: input.initrdSize }, end: initrdEnd });
}
