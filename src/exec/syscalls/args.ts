// Decoding syscall arguments: X0..X5 as the guest left them. Every value is untrusted:
// pointers and sizes become safe numbers or the call fails with EFAULT/EINVAL.

import { u64ToSafe } from "../../lib/checked.js";
import { Errno } from "../errno.js";
import type { ProcessState } from "../state.js";

export type Args = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

/** A handler returns the result (>= 0) or -errno; X0 receives it as a u64. */
export type Handler = (p: ProcessState, a: Args) => number | bigint;

/** A C int argument (the low 32 bits, signed), as the kernel's SYSCALL_DEFINE sees it. */
export function int(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

export function uint(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

export function long(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** A pointer or size_t as a safe number, or undefined if it cannot be a user address. */
export function ptr(v: bigint): number | undefined {
  return u64ToSafe(v);
}

/** Sizes above this are refused with EINVAL before any buffer is allocated. */
export const MAX_IO = 64 * 1024 * 1024;

export function size(v: bigint): number | undefined {
  const n = u64ToSafe(v);
  return n !== undefined && n <= MAX_IO ? n : undefined;
}

const latin1 = new TextDecoder("latin1");

/** Reads a NUL-terminated path (PATH_MAX 4096) as a byte-preserving string. */
export function readPath(p: ProcessState, v: bigint): string | number {
  const at = ptr(v);
  if (at === undefined) return -Errno.EFAULT;
  const r = p.mem.readCString(at, 4096);
  if (!r.ok) return -r.error;
  return Buffer.from(r.value).toString("latin1");
}

/** The host path for a guest path string (byte-preserving). */
export function hostPath(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

export function bytesToString(b: Uint8Array): string {
  return latin1.decode(b);
}

/** Writes `data` to the guest pointer `v`; 0 or -EFAULT. */
export function copyOut(p: ProcessState, v: bigint, data: Uint8Array): number {
  const at = ptr(v);
  if (at === undefined) return -Errno.EFAULT;
  const r = p.mem.write(at, data);
  return r.ok ? 0 : -r.error;
}

export function copyIn(p: ProcessState, v: bigint, length: number): Uint8Array | number {
  const at = ptr(v);
  if (at === undefined) return -Errno.EFAULT;
  const r = p.mem.read(at, length);
  return r.ok ? r.value : -r.error;
}
