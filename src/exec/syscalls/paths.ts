// Syscalls on path names: getcwd, chdir, fchdir, readlinkat, faccessat(2), unlinkat,
// mkdirat, renameat(2), symlinkat, linkat, fchmodat, fchmod, ftruncate, utimensat,
// fsync. Paths resolve against the process's own cwd or a directory descriptor.

import * as fs from "node:fs";
import * as path from "node:path";
import { Errno, errnoFromHost } from "../errno.js";
import type { ProcessState } from "../state.js";
import { copyOut, hostPath, int, long, ptr, readPath, size, uint } from "./args.js";
import type { Args } from "./args.js";

function hostCall(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (e) {
    return -errnoFromHost(e);
  }
}

/** Reads and resolves the path argument `v` relative to the dirfd argument `dirfd`. */
function pathAt(p: ProcessState, dirfd: bigint, v: bigint): Buffer | number {
  const guestPath = readPath(p, v);
  if (typeof guestPath === "number") return guestPath;
  if (guestPath === "") return -Errno.ENOENT;
  const r = p.resolvePath(int(dirfd), guestPath);
  return r.ok ? hostPath(r.value) : -r.error;
}

export function sysGetcwd(p: ProcessState, a: Args): number {
  const bytes = Buffer.concat([hostPath(p.cwd), Buffer.from([0])]);
  const n = size(a[1]);
  if (n === undefined || n < bytes.length) return -Errno.ERANGE;
  const r = copyOut(p, a[0], bytes);
  return r < 0 ? r : bytes.length;
}

function changeDirectory(p: ProcessState, target: string): number {
  try {
    if (!fs.statSync(hostPath(target)).isDirectory()) return -Errno.ENOTDIR;
  } catch (e) {
    return -errnoFromHost(e);
  }
  p.cwd = path.posix.normalize(target);
  return 0;
}

export function sysChdir(p: ProcessState, a: Args): number {
  const guestPath = readPath(p, a[0]);
  if (typeof guestPath === "number") return guestPath;
  if (guestPath === "") return -Errno.ENOENT;
  const r = p.resolvePath(-100, guestPath);
  return r.ok ? changeDirectory(p, r.value) : -r.error;
}

export function sysFchdir(p: ProcessState, a: Args): number {
  const f = p.files.get(int(a[0]));
  if (!f) return -Errno.EBADF;
  return f.path === undefined ? -Errno.ENOTDIR : changeDirectory(p, f.path);
}

export function sysReadlinkat(p: ProcessState, a: Args): number {
  const guestPath = readPath(p, a[1]);
  if (typeof guestPath === "number") return guestPath;
  const n = size(a[3]);
  if (n === undefined || n <= 0) return -Errno.EINVAL;
  let target: Buffer;
  if (guestPath === "/proc/self/exe") target = hostPath(p.exePath);
  else {
    const r = p.resolvePath(int(a[0]), guestPath);
    if (!r.ok) return -r.error;
    try {
      target = fs.readlinkSync(hostPath(r.value), { encoding: "buffer" });
    } catch (e) {
      return -errnoFromHost(e);
    }
  }
  const out = target.subarray(0, n);
  const w = copyOut(p, a[2], out);
  return w < 0 ? w : out.length;
}

export function sysFaccessat(p: ProcessState, a: Args): number {
  const target = pathAt(p, a[0], a[1]);
  if (typeof target === "number") return target;
  const mode = uint(a[2]);
  if (mode & ~7) return -Errno.EINVAL;
  return hostCall(() => fs.accessSync(target, mode));
}

const AT_REMOVEDIR = 0x200;

export function sysUnlinkat(p: ProcessState, a: Args): number {
  const target = pathAt(p, a[0], a[1]);
  if (typeof target === "number") return target;
  const flags = uint(a[2]);
  if (flags & ~AT_REMOVEDIR) return -Errno.EINVAL;
  return hostCall(() => (flags & AT_REMOVEDIR ? fs.rmdirSync(target) : fs.unlinkSync(target)));
}

export function sysMkdirat(p: ProcessState, a: Args): number {
  const target = pathAt(p, a[0], a[1]);
  if (typeof target === "number") return target;
  const mode = uint(a[2]) & 0o7777 & ~p.umask;
  return hostCall(() => fs.mkdirSync(target, { mode }));
}

const RENAME_NOREPLACE = 1;

export function sysRenameat2(p: ProcessState, a: Args): number {
  const from = pathAt(p, a[0], a[1]);
  if (typeof from === "number") return from;
  const to = pathAt(p, a[2], a[3]);
  if (typeof to === "number") return to;
  const flags = uint(a[4]);
  if (flags & ~RENAME_NOREPLACE) return -Errno.EINVAL;
  if (flags & RENAME_NOREPLACE && fs.existsSync(to)) return -Errno.EEXIST;
  return hostCall(() => fs.renameSync(from, to));
}

export const sysRenameat = (p: ProcessState, a: Args): number =>
  sysRenameat2(p, [a[0], a[1], a[2], a[3], 0n, 0n]);

export function sysSymlinkat(p: ProcessState, a: Args): number {
  const target = readPath(p, a[0]);
  if (typeof target === "number") return target;
  const link = pathAt(p, a[1], a[2]);
  if (typeof link === "number") return link;
  return hostCall(() => fs.symlinkSync(hostPath(target), link));
}

export function sysLinkat(p: ProcessState, a: Args): number {
  const from = pathAt(p, a[0], a[1]);
  if (typeof from === "number") return from;
  const to = pathAt(p, a[2], a[3]);
  if (typeof to === "number") return to;
  return hostCall(() => fs.linkSync(from, to));
}

export function sysFchmodat(p: ProcessState, a: Args): number {
  const target = pathAt(p, a[0], a[1]);
  if (typeof target === "number") return target;
  return hostCall(() => fs.chmodSync(target, uint(a[2]) & 0o7777));
}

export function sysFchmod(p: ProcessState, a: Args): number {
  const f = p.files.get(int(a[0]));
  if (!f) return -Errno.EBADF;
  const fd = f.hostFd;
  return fd === undefined ? -Errno.EINVAL : hostCall(() => fs.fchmodSync(fd, uint(a[1]) & 0o7777));
}

export function sysFtruncate(p: ProcessState, a: Args): number {
  const f = p.files.get(int(a[0]));
  if (!f) return -Errno.EBADF;
  const length = long(a[1]);
  if (length < 0 || !Number.isSafeInteger(length)) return -Errno.EINVAL;
  const fd = f.hostFd;
  return fd === undefined ? -Errno.EINVAL : hostCall(() => fs.ftruncateSync(fd, length));
}

export function sysFsync(p: ProcessState, a: Args): number {
  const f = p.files.get(int(a[0]));
  if (!f) return -Errno.EBADF;
  const fd = f.hostFd;
  return fd === undefined ? -Errno.EINVAL : hostCall(() => fs.fsyncSync(fd));
}

const UTIME_NOW = (1n << 30n) - 1n;
const UTIME_OMIT = (1n << 30n) - 2n;

/** utimensat(dirfd, path, times[2], flags); path NULL means the descriptor itself. */
export function sysUtimensat(p: ProcessState, a: Args): number {
  let target: Buffer | number;
  if (a[1] === 0n) {
    const f = p.files.get(int(a[0]));
    if (!f || f.path === undefined) return -Errno.EBADF;
    target = hostPath(f.path);
  } else target = pathAt(p, a[0], a[1]);
  if (typeof target === "number") return target;
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(target, { bigint: true });
  } catch (e) {
    return -errnoFromHost(e);
  }
  const now = Date.now() / 1000;
  let atime = Number(st.atimeNs) / 1e9;
  let mtime = Number(st.mtimeNs) / 1e9;
  if (a[2] === 0n) atime = mtime = now;
  else {
    const at = ptr(a[2]);
    if (at === undefined) return -Errno.EFAULT;
    const raw = p.mem.read(at, 32);
    if (!raw.ok) return -raw.error;
    const v = new DataView(raw.value.buffer);
    const pick = (i: number, old: number): number => {
      const nsec = v.getBigInt64(i * 16 + 8, true);
      if (nsec === UTIME_NOW) return now;
      if (nsec === UTIME_OMIT) return old;
      return Number(v.getBigInt64(i * 16, true)) + Number(nsec) / 1e9;
    };
    atime = pick(0, atime);
    mtime = pick(1, mtime);
  }
  const t = target;
  return hostCall(() => fs.utimesSync(t, atime, mtime));
}
