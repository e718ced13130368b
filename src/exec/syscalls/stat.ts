// fstat, newfstatat and statx: the asm-generic struct stat (128 bytes, what aarch64
// uses) and struct statx (include/uapi/linux/stat.h), filled from host stats.

import * as fs from "node:fs";
import { layout, reserved, u16, u32, u64 } from "../../lib/layout.js";
import { Errno, errnoFromHost } from "../errno.js";
import { PipeEnd } from "../files.js";
import { AT_FDCWD } from "../state.js";
import type { ProcessState } from "../state.js";
import { copyOut, hostPath, int, readPath, uint } from "./args.js";
import type { Args } from "./args.js";

const Stat = layout({
  dev: u64,
  ino: u64,
  mode: u32,
  nlink: u32,
  uid: u32,
  gid: u32,
  rdev: u64,
  _pad1: reserved(8),
  size: u64,
  blksize: u32,
  _pad2: reserved(4),
  blocks: u64,
  atime: u64,
  atimeNsec: u64,
  mtime: u64,
  mtimeNsec: u64,
  ctime: u64,
  ctimeNsec: u64,
  _unused: reserved(8),
});

const StatxTimestamp = { sec: u64, nsec: u32, _r: reserved(4) } as const;
const Statx = layout({
  mask: u32,
  blksize: u32,
  attributes: u64,
  nlink: u32,
  uid: u32,
  gid: u32,
  mode: u16,
  _spare0: reserved(2),
  ino: u64,
  size: u64,
  blocks: u64,
  attributesMask: u64,
  atimeSec: StatxTimestamp.sec,
  atimeNsec: StatxTimestamp.nsec,
  _ra: reserved(4),
  btimeSec: u64,
  btimeNsec: u32,
  _rb: reserved(4),
  ctimeSec: u64,
  ctimeNsec: u32,
  _rc: reserved(4),
  mtimeSec: u64,
  mtimeNsec: u32,
  _rm: reserved(4),
  rdevMajor: u32,
  rdevMinor: u32,
  devMajor: u32,
  devMinor: u32,
  mntId: u64,
  dioMemAlign: u32,
  dioOffsetAlign: u32,
  _spare3: reserved(96),
});

export const STAT_SIZE = Stat.size;
export const STATX_SIZE = Statx.size;

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
/** STATX_BASIC_STATS | STATX_BTIME: what a host stat answers. */
const STATX_REPLY_MASK = 0x7ff | 0x800;

/** Stats of an in-process pipe: a FIFO owned by the process. */
function pipeStats(p: ProcessState): fs.BigIntStats {
  const now = process.hrtime.bigint();
  const stats = {
    dev: 12n,
    ino: 1n,
    mode: 0o010600n,
    nlink: 1n,
    uid: BigInt(p.ids.uid),
    gid: BigInt(p.ids.gid),
    rdev: 0n,
    size: 0n,
    blksize: 4096n,
    blocks: 0n,
    atimeNs: now,
    mtimeNs: now,
    ctimeNs: now,
    birthtimeNs: now,
  };
  return stats as unknown as fs.BigIntStats;
}

function encodeStat(st: fs.BigIntStats): Uint8Array {
  const sec = (ns: bigint) => ns / 1_000_000_000n;
  const nsec = (ns: bigint) => ns % 1_000_000_000n;
  return Stat.encode({
    dev: st.dev,
    ino: st.ino,
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: st.rdev,
    size: st.size,
    blksize: Number(st.blksize),
    blocks: st.blocks,
    atime: sec(st.atimeNs),
    atimeNsec: nsec(st.atimeNs),
    mtime: sec(st.mtimeNs),
    mtimeNsec: nsec(st.mtimeNs),
    ctime: sec(st.ctimeNs),
    ctimeNsec: nsec(st.ctimeNs),
  });
}

function major(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn & 0xffffffffn));
}

function minor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn & 0xffffffffn));
}

function encodeStatx(st: fs.BigIntStats): Uint8Array {
  const sec = (ns: bigint) => ns / 1_000_000_000n;
  const nsec = (ns: bigint) => Number(ns % 1_000_000_000n);
  return Statx.encode({
    mask: STATX_REPLY_MASK,
    blksize: Number(st.blksize),
    attributes: 0n,
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mode: Number(st.mode & 0xffffn),
    ino: st.ino,
    size: st.size,
    blocks: st.blocks,
    attributesMask: 0n,
    atimeSec: sec(st.atimeNs),
    atimeNsec: nsec(st.atimeNs),
    btimeSec: sec(st.birthtimeNs),
    btimeNsec: nsec(st.birthtimeNs),
    ctimeSec: sec(st.ctimeNs),
    ctimeNsec: nsec(st.ctimeNs),
    mtimeSec: sec(st.mtimeNs),
    mtimeNsec: nsec(st.mtimeNs),
    rdevMajor: major(st.rdev),
    rdevMinor: minor(st.rdev),
    devMajor: major(st.dev),
    devMinor: minor(st.dev),
    mntId: 0n,
    dioMemAlign: 0,
    dioOffsetAlign: 0,
  });
}

function statFd(p: ProcessState, fd: number): fs.BigIntStats | number {
  const file = p.files.get(fd);
  if (!file) return -Errno.EBADF;
  if (file instanceof PipeEnd) return pipeStats(p);
  const st = file.stat();
  return typeof st === "number" ? -st : st;
}

/** The stats newfstatat/statx ask for: by fd, by path, following links or not. */
function statAt(p: ProcessState, dirfd: number, pathArg: bigint, flags: number) {
  const guestPath = readPath(p, pathArg);
  if (typeof guestPath === "number") return guestPath;
  if (guestPath === "") {
    if ((flags & AT_EMPTY_PATH) === 0) return -Errno.ENOENT;
    if (dirfd === AT_FDCWD) return statHost(p.cwd, true);
    return statFd(p, dirfd);
  }
  const resolved = p.resolvePath(dirfd, guestPath);
  if (!resolved.ok) return -resolved.error;
  return statHost(resolved.value, (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

function statHost(hostPathString: string, follow: boolean): fs.BigIntStats | number {
  try {
    const target = hostPath(hostPathString);
    return follow ? fs.statSync(target, { bigint: true }) : fs.lstatSync(target, { bigint: true });
  } catch (e) {
    return -errnoFromHost(e);
  }
}

export function sysFstat(p: ProcessState, a: Args): number {
  const st = statFd(p, int(a[0]));
  return typeof st === "number" ? st : copyOut(p, a[1], encodeStat(st));
}

export function sysNewfstatat(p: ProcessState, a: Args): number {
  const st = statAt(p, int(a[0]), a[1], uint(a[3]));
  return typeof st === "number" ? st : copyOut(p, a[2], encodeStat(st));
}

export function sysStatx(p: ProcessState, a: Args): number {
  const st = statAt(p, int(a[0]), a[1], uint(a[2]));
  return typeof st === "number" ? st : copyOut(p, a[4], encodeStatx(st));
}
