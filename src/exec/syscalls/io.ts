// Data transfer on descriptors: read, write, readv, writev, pread64, pwrite64, lseek,
// sendfile, getdents64.

import { checkedAdd } from "../../lib/checked.js";
import { Errno } from "../errno.js";
import type { GuestFile } from "../files.js";
import { PROT_WRITE } from "../memory.js";
import type { ProcessState } from "../state.js";
import { copyIn, copyOut, int, long, MAX_IO, ptr, size } from "./args.js";
import type { Args } from "./args.js";

/** Linux caps one transfer at MAX_RW_COUNT (INT_MAX & PAGE_MASK). */
const MAX_RW = 0x7fff_f000;
/** UIO_MAXIOV. */
const IOV_MAX = 1024;

function fileOf(p: ProcessState, fd: bigint): GuestFile | number {
  return p.files.get(int(fd)) ?? -Errno.EBADF;
}

function accessMode(f: GuestFile): number {
  return f.statusFlags & 3;
}

function readInto(p: ProcessState, f: GuestFile, buf: bigint, count: number, at?: number): number {
  if (accessMode(f) === 1) return -Errno.EBADF;
  const address = ptr(buf);
  if (address === undefined) return -Errno.EFAULT;
  // Check the destination before consuming input (a read must not lose data to EFAULT).
  if (!p.mem.canAccess(address, count, PROT_WRITE)) return -Errno.EFAULT;
  const tmp = new Uint8Array(count);
  const n = f.read(tmp, at);
  if (n <= 0) return n;
  const r = p.mem.write(address, tmp.subarray(0, n));
  return r.ok ? n : -r.error;
}

function writeFrom(p: ProcessState, f: GuestFile, buf: bigint, count: number, at?: number): number {
  if (accessMode(f) === 0) return -Errno.EBADF;
  const data = copyIn(p, buf, count);
  if (typeof data === "number") return data;
  const n = f.write(data, at);
  if (n === -Errno.EPIPE) raiseSigpipe(p);
  return n;
}

/** EPIPE comes with SIGPIPE, fatal unless the program ignores or handles it. */
function raiseSigpipe(p: ProcessState): void {
  const action = p.signalActions.get(13);
  if (action === undefined || action.handler === 0n) {
    p.killedBy = 13;
    p.exitStatus = 128 + 13;
  }
}

/** A transfer size: clamped like Linux's MAX_RW_COUNT (and to one host buffer). */
function count(v: bigint): number | undefined {
  const n = ptr(v);
  return n === undefined ? undefined : Math.min(n, MAX_RW, MAX_IO);
}

export function sysRead(p: ProcessState, a: Args): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  const n = count(a[2]);
  return n === undefined ? -Errno.EFAULT : readInto(p, f, a[1], n);
}

export function sysWrite(p: ProcessState, a: Args): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  const n = count(a[2]);
  return n === undefined ? -Errno.EFAULT : writeFrom(p, f, a[1], n);
}

function position(v: bigint): number | undefined {
  const n = long(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function sysPread64(p: ProcessState, a: Args): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  const n = count(a[2]);
  const at = position(a[3]);
  if (n === undefined) return -Errno.EFAULT;
  return at === undefined ? -Errno.EINVAL : readInto(p, f, a[1], n, at);
}

export function sysPwrite64(p: ProcessState, a: Args): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  const n = count(a[2]);
  const at = position(a[3]);
  if (n === undefined) return -Errno.EFAULT;
  return at === undefined ? -Errno.EINVAL : writeFrom(p, f, a[1], n, at);
}

/** struct iovec[] from guest memory: [base, len] pairs, validated. */
function readIovecs(p: ProcessState, iov: bigint, cnt: number): [bigint, number][] | number {
  if (cnt < 0 || cnt > IOV_MAX) return -Errno.EINVAL;
  const raw = copyIn(p, iov, cnt * 16);
  if (typeof raw === "number") return raw;
  const view = new DataView(raw.buffer);
  const out: [bigint, number][] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const len = size(view.getBigUint64(i * 16 + 8, true));
    const next = len === undefined ? undefined : checkedAdd(total, len);
    if (len === undefined || next === undefined || next > MAX_RW) return -Errno.EINVAL;
    total = next;
    out.push([view.getBigUint64(i * 16, true), len]);
  }
  return out;
}

function vectored(p: ProcessState, a: Args, isWrite: boolean, at?: number): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  const iovs = readIovecs(p, a[1], int(a[2]));
  if (typeof iovs === "number") return iovs;
  let done = 0;
  for (const [base, len] of iovs) {
    if (len === 0) continue;
    const off = at === undefined ? undefined : at + done;
    const n = isWrite ? writeFrom(p, f, base, len, off) : readInto(p, f, base, len, off);
    if (n < 0) return done > 0 ? done : n;
    done += n;
    if (n < len) break;
  }
  return done;
}

export const sysReadv = (p: ProcessState, a: Args): number => vectored(p, a, false);
export const sysWritev = (p: ProcessState, a: Args): number => vectored(p, a, true);

export function sysPreadv(p: ProcessState, a: Args): number {
  const at = position(a[3]);
  return at === undefined ? -Errno.EINVAL : vectored(p, a, false, at);
}

export function sysPwritev(p: ProcessState, a: Args): number {
  const at = position(a[3]);
  return at === undefined ? -Errno.EINVAL : vectored(p, a, true, at);
}

export function sysLseek(p: ProcessState, a: Args): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  return f.seek(long(a[1]), int(a[2]));
}

/** sendfile(out, in, *offset, count): copies through a buffer. */
export function sysSendfile(p: ProcessState, a: Args): number {
  const out = fileOf(p, a[0]);
  const input = fileOf(p, a[1]);
  if (typeof out === "number") return out;
  if (typeof input === "number") return input;
  const n = count(a[3]);
  if (n === undefined) return -Errno.EINVAL;
  let offset: number | undefined;
  const offPtr = ptr(a[2]);
  if (a[2] !== 0n) {
    if (offPtr === undefined) return -Errno.EFAULT;
    const r = p.mem.readU64(offPtr);
    if (!r.ok) return -r.error;
    offset = position(r.value);
    if (offset === undefined) return -Errno.EINVAL;
  }
  const buf = new Uint8Array(Math.min(n, 1 << 20));
  const got = input.read(buf, offset);
  if (got <= 0) return got;
  const put = out.write(buf.subarray(0, got));
  if (put < 0) return put;
  if (offset !== undefined && offPtr !== undefined) {
    const w = p.mem.writeU64(offPtr, BigInt(offset + got));
    if (!w.ok) return -w.error;
  }
  return put;
}

/** getdents64: struct linux_dirent64 records, 8-byte aligned, from the directory position. */
export function sysGetdents64(p: ProcessState, a: Args): number {
  const f = fileOf(p, a[0]);
  if (typeof f === "number") return f;
  const n = size(a[2]);
  if (n === undefined) return -Errno.EINVAL;
  const entries = f.readDirectory();
  if (typeof entries === "number") return -entries;
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let used = 0;
  while (f.dirPosition < entries.length) {
    const e = entries[f.dirPosition];
    if (!e) break;
    const reclen = Math.ceil((19 + e.name.length + 1) / 8) * 8;
    if (used + reclen > n) {
      if (used === 0) return -Errno.EINVAL;
      break;
    }
    view.setBigUint64(used, e.ino, true);
    view.setBigInt64(used + 8, BigInt(f.dirPosition + 1), true);
    view.setUint16(used + 16, reclen, true);
    out[used + 18] = e.type;
    out.set(e.name, used + 19);
    used += reclen;
    f.dirPosition++;
  }
  const r = copyOut(p, a[1], out.subarray(0, used));
  return r < 0 ? r : used;
}
