// The initial process stack as Linux's create_elf_tables (fs/binfmt_elf.c) lays it
// out, in the exact placement qemu-aarch64 7.2 uses, so that a program's registers
// match the reference CPU's instruction by instruction (tools/trace-diff.ts):
//
//   top - 8          8 zero bytes (the end marker, bprm->p = vm_end - sizeof(void *))
//   below it         AT_EXECFN string
//   below it         argv[0..] then envp[0..] strings, contiguous
//   below it         AT_PLATFORM string ("aarch64")
//   16-aligned below AT_RANDOM's 16 bytes
//   sp (16-aligned)  argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL (gap above)

import { err, ok } from "../lib/result.js";
import type { Result } from "../lib/result.js";
import type { AddressSpace } from "./memory.js";

export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;

export interface StackInputs {
  readonly top: number;
  readonly argv: readonly string[];
  readonly envp: readonly string[];
  readonly execfn: string;
  readonly platform: string;
  readonly random: Uint8Array;
  readonly phdr: number;
  readonly phent: number;
  readonly phnum: number;
  readonly entry: number;
  readonly uid: number;
  readonly euid: number;
  readonly gid: number;
  readonly egid: number;
  readonly hwcap: bigint;
  readonly hwcap2: bigint;
}

export interface StackResult {
  readonly sp: number;
  readonly argvAddress: number;
  readonly randomAddress: number;
  readonly auxv: readonly (readonly [number, bigint])[];
}

/** The most bytes argv + envp may take (Linux: a quarter of the 8 MiB stack limit). */
export const MAX_ARG_BYTES = 2 * 1024 * 1024;

const encoder = new TextEncoder();

function cstring(s: string): Uint8Array {
  const body = encoder.encode(s);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

function alignDown16(n: number): number {
  return n - (n % 16);
}

/** Writes the initial stack below `top` (already mapped writable); returns the new SP. */
export function buildInitialStack(
  mem: AddressSpace,
  inputs: StackInputs,
): Result<StackResult, string> {
  const args = inputs.argv.map(cstring);
  const envs = inputs.envp.map(cstring);
  const strings = [...args, ...envs];
  const stringBytes = strings.reduce((n, s) => n + s.length, 0);
  if (stringBytes > MAX_ARG_BYTES) return err("argument list too long (E2BIG)");

  let p = inputs.top - 8;
  const execfn = cstring(inputs.execfn);
  p -= execfn.length;
  const execfnAddress = p;
  const poke = (at: number, data: Uint8Array): void => {
    const r = mem.poke(at, data);
    if (!r.ok) throw new Error(`initial stack write at 0x${at.toString(16)} failed`);
  };
  poke(execfnAddress, execfn);

  p -= stringBytes;
  const pointers: number[] = [];
  let at = p;
  for (const s of strings) {
    pointers.push(at);
    poke(at, s);
    at += s.length;
  }

  const platform = cstring(inputs.platform);
  p -= platform.length;
  const platformAddress = p;
  poke(platformAddress, platform);

  const randomAddress = alignDown16(p - 16);
  poke(randomAddress, inputs.random.subarray(0, 16));

  // qemu-aarch64's auxv order (linux-user/elfload.c), which Linux's ABI permits.
  const auxv: [number, bigint][] = [
    [AT_PHDR, BigInt(inputs.phdr)],
    [AT_PHENT, BigInt(inputs.phent)],
    [AT_PHNUM, BigInt(inputs.phnum)],
    [AT_PAGESZ, 4096n],
    [AT_BASE, 0n],
    [AT_FLAGS, 0n],
    [AT_ENTRY, BigInt(inputs.entry)],
    [AT_UID, BigInt(inputs.uid)],
    [AT_EUID, BigInt(inputs.euid)],
    [AT_GID, BigInt(inputs.gid)],
    [AT_EGID, BigInt(inputs.egid)],
    [AT_HWCAP, inputs.hwcap],
    [AT_CLKTCK, 100n],
    [AT_RANDOM, BigInt(randomAddress)],
    [AT_SECURE, 0n],
    [AT_EXECFN, BigInt(execfnAddress)],
    [AT_HWCAP2, inputs.hwcap2],
    [AT_PLATFORM, BigInt(platformAddress)],
    [AT_NULL, 0n],
  ];
  const words: bigint[] = [BigInt(args.length)];
  for (let i = 0; i < args.length; i++) words.push(BigInt(pointers[i] ?? 0));
  words.push(0n);
  for (let i = 0; i < envs.length; i++) words.push(BigInt(pointers[args.length + i] ?? 0));
  words.push(0n);
  for (const [key, value] of auxv) words.push(BigInt(key), value);

  const sp = alignDown16(randomAddress - words.length * 8);
  const table = new Uint8Array(words.length * 8);
  const view = new DataView(table.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  poke(sp, table);
  return ok({ sp, argvAddress: sp + 8, randomAddress, auxv });
}
