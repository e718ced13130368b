// Loads a validated static ELF into a fresh address space and builds the initial
// stack (Linux's load_elf_binary for a program without an interpreter).

import { PAGE_SIZE } from "../arch/arm64/index.js";
import { alignDown, alignUp } from "../lib/checked.js";
import { err, ok } from "../lib/result.js";
import type { Result } from "../lib/result.js";
import { ET_DYN, parseElf, PF_R, PF_W, PF_X } from "./elf.js";
import type { ElfImage, Segment } from "./elf.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE, USER_VA_LIMIT } from "./memory.js";
import type { AddressSpace } from "./memory.js";
import { buildInitialStack } from "./stack.js";

/**
 * The address-space layout of qemu-aarch64 7.2 (guest_base 0, no randomization), so
 * that addresses in registers match the reference CPU's traces: an 8 MiB stack under
 * 0x55_0080_1000 above a guard page, mmap allocating upwards from 0x55_0080_2000.
 */
export const STACK_TOP = 0x55_0080_1000;
export const STACK_SIZE = 8 * 1024 * 1024;
export const MMAP_BASE = 0x55_0080_2000;
/** Where a static PIE (ET_DYN without PT_INTERP) is placed. */
export const PIE_BASE = 0xaaaa_aaaa_0000;

export interface LoadOptions {
  readonly argv: readonly string[];
  readonly envp: readonly string[];
  readonly execfn: string;
  readonly random: Uint8Array;
  readonly hwcap: bigint;
  readonly hwcap2: bigint;
  readonly ids: { uid: number; euid: number; gid: number; egid: number };
}

export interface LoadedProgram {
  readonly image: ElfImage;
  readonly entry: number;
  readonly sp: number;
  /** First byte after the highest segment, page-aligned: the initial program break. */
  readonly brkStart: number;
  readonly randomAddress: number;
}

function protOf(flags: number): number {
  return (
    (flags & PF_R ? PROT_READ : 0) |
    (flags & PF_W ? PROT_WRITE : 0) |
    (flags & PF_X ? PROT_EXEC : 0)
  );
}

export function loadProgram(
  mem: AddressSpace,
  file: Uint8Array,
  options: LoadOptions,
): Result<LoadedProgram, string> {
  const parsed = parseElf(file);
  if (!parsed.ok) return parsed;
  const image = parsed.value;
  const bias = image.type === ET_DYN ? PIE_BASE : 0;
  const top = Math.max(...image.segments.map((seg) => seg.vaddr + seg.memsz));
  if (top + bias > USER_VA_LIMIT) return err("program does not fit below the user address limit");
  let highest = 0;
  for (const seg of image.segments) {
    if (seg.memsz === 0) continue;
    const end = mapSegment(mem, file, seg, bias);
    if (end === undefined) return err("segment does not fit in the address space");
    highest = Math.max(highest, end);
  }
  const brkStart = alignUp(highest, PAGE_SIZE);
  if (brkStart === undefined) return err("program ends outside the address space");

  const stackBase = STACK_TOP - STACK_SIZE;
  const stackProt = PROT_READ | PROT_WRITE | (image.execStack ? PROT_EXEC : 0);
  if (!mem.mappings.isFree(stackBase / PAGE_SIZE - 1, STACK_TOP / PAGE_SIZE))
    return err("program overlaps the stack area");
  mem.mapAnonymous(stackBase / PAGE_SIZE, STACK_SIZE / PAGE_SIZE, stackProt);

  const stack = buildInitialStack(mem, {
    top: STACK_TOP,
    argv: options.argv,
    envp: options.envp,
    execfn: options.execfn,
    platform: "aarch64",
    random: options.random,
    phdr: image.phdrVaddr === 0 ? 0 : image.phdrVaddr + bias,
    phent: image.phentsize,
    phnum: image.phnum,
    entry: image.entry + bias,
    ...options.ids,
    hwcap: options.hwcap,
    hwcap2: options.hwcap2,
  });
  if (!stack.ok) return stack;
  return ok({
    image,
    entry: image.entry + bias,
    sp: stack.value.sp,
    brkStart,
    randomAddress: stack.value.randomAddress,
  });
}

/**
 * Maps one PT_LOAD like Linux's elf_map + padzero: whole file pages from the aligned
 * offset (bytes before p_vaddr on the first page come from the file too), zero from
 * p_filesz on when the segment has a bss, and anonymous zero pages up to p_memsz.
 * Pages shared with an earlier segment keep its contents and gain this one's rights.
 */
function mapSegment(
  mem: AddressSpace,
  file: Uint8Array,
  seg: Segment,
  bias: number,
): number | undefined {
  const start = seg.vaddr + bias;
  const end = start + seg.memsz;
  const firstPage = Math.floor(start / PAGE_SIZE);
  const endPage = Math.ceil(end / PAGE_SIZE);
  const prot = protOf(seg.flags);
  const shared = mem.mappings.all
    .filter((v) => v.end > firstPage && v.start < endPage)
    .map((v) => ({
      start: Math.max(v.start, firstPage),
      end: Math.min(v.end, endPage),
      prot: v.prot,
    }));
  const kept = shared.map((v) => mem.read(v.start * PAGE_SIZE, (v.end - v.start) * PAGE_SIZE));
  mem.mapAnonymous(firstPage, endPage - firstPage, prot);
  shared.forEach((v, i) => {
    mem.protect(v.start, v.end - v.start, v.prot | prot);
    const old = kept[i];
    if (old?.ok) mem.poke(v.start * PAGE_SIZE, old.value);
  });

  const fileStart = alignDown(seg.offset, PAGE_SIZE);
  const hasBss = seg.memsz > seg.filesz;
  const fileEnd = hasBss
    ? seg.offset + seg.filesz
    : Math.min(file.length, alignUp(seg.offset + seg.filesz, PAGE_SIZE) ?? file.length);
  const r = mem.poke(alignDown(start, PAGE_SIZE), file.subarray(fileStart, fileEnd));
  return r.ok ? end : undefined;
}
