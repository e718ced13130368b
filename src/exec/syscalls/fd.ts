// Descriptor management: openat, close, dup, dup3, fcntl, ioctl, pipe2.

import * as fs from "node:fs";
import * as tty from "node:tty";
import { Errno, errnoFromHost } from "../errno.js";
import { HostFile, PipeEnd } from "../files.js";
import type { ProcessState } from "../state.js";
import { copyOut, hostPath, int, readPath, uint } from "./args.js";
import type { Args } from "./args.js";

// asm-generic/fcntl.h (aarch64); these differ from x86-64's for DIRECTORY/NOFOLLOW/DIRECT.
export const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_NOCTTY = 0o400;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;
const O_DSYNC = 0o10000;
const O_DIRECTORY = 0o40000;
const O_NOFOLLOW = 0o100000;
const O_DIRECT = 0o200000;
const O_LARGEFILE = 0o400000;
const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
const O_SYNC = 0o4010000;
const O_PATH = 0o10000000;
const O_TMPFILE = 0o20000000;

const hostFlagMap: readonly [number, number][] = [
  [O_CREAT, fs.constants.O_CREAT],
  [O_EXCL, fs.constants.O_EXCL],
  [O_NOCTTY, fs.constants.O_NOCTTY],
  [O_TRUNC, fs.constants.O_TRUNC],
  [O_APPEND, fs.constants.O_APPEND],
  [O_NONBLOCK, fs.constants.O_NONBLOCK],
  [O_DIRECTORY, fs.constants.O_DIRECTORY],
  [O_NOFOLLOW, fs.constants.O_NOFOLLOW],
  [O_NOATIME, fs.constants.O_NOATIME ?? 0],
];

/** Translates guest open flags to the host's numbering (O_SYNC before O_DSYNC: it contains it). */
function hostOpenFlags(flags: number): number {
  let out = flags & O_ACCMODE;
  for (const [guest, host] of hostFlagMap) if (flags & guest) out |= host;
  if ((flags & O_SYNC) === O_SYNC) out |= fs.constants.O_SYNC;
  else if (flags & O_DSYNC) out |= fs.constants.O_DSYNC;
  return out;
}

const KNOWN_OPEN_FLAGS =
  O_ACCMODE |
  O_CREAT |
  O_EXCL |
  O_NOCTTY |
  O_TRUNC |
  O_APPEND |
  O_NONBLOCK |
  O_DSYNC |
  O_DIRECTORY |
  O_NOFOLLOW |
  O_DIRECT |
  O_LARGEFILE |
  O_NOATIME |
  O_CLOEXEC |
  O_SYNC |
  O_PATH;

export function sysOpenat(p: ProcessState, a: Args): number {
  const guestPath = readPath(p, a[1]);
  if (typeof guestPath === "number") return guestPath;
  const flags = uint(a[2]);
  if ((flags & O_TMPFILE) === O_TMPFILE) return -Errno.EOPNOTSUPP;
  if ((flags & O_ACCMODE) === 3) return -Errno.EINVAL;
  if (flags & ~KNOWN_OPEN_FLAGS)
    p.warnOnce("open-flags", `openat: ignoring flags 0x${flags.toString(16)}`);
  if (guestPath === "") return -Errno.ENOENT;
  const resolved = p.resolvePath(int(a[0]), guestPath);
  if (!resolved.ok) return -resolved.error;
  // O_PATH descriptors only name a file; a read-only open serves fstat and *at calls.
  const hostFlags = flags & O_PATH ? fs.constants.O_RDONLY : hostOpenFlags(flags);
  const mode = uint(a[3]) & 0o7777 & ~p.umask;
  let hostFd: number;
  try {
    hostFd = fs.openSync(hostPath(resolved.value), hostFlags, mode);
  } catch (e) {
    return -errnoFromHost(e);
  }
  const file = new HostFile(hostFd, resolved.value, flags & ~O_CLOEXEC, true);
  const fd = p.files.install(file, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) file.release();
  return fd;
}

export function sysClose(p: ProcessState, a: Args): number {
  return p.files.close(int(a[0])) ? 0 : -Errno.EBADF;
}

export function sysDup(p: ProcessState, a: Args): number {
  const f = p.files.get(int(a[0]));
  if (!f) return -Errno.EBADF;
  const fd = p.files.install(f, false);
  if (fd >= 0) f.refs++;
  return fd;
}

export function sysDup3(p: ProcessState, a: Args): number {
  const oldfd = int(a[0]);
  const newfd = int(a[1]);
  const flags = uint(a[2]);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  if (oldfd === newfd) return -Errno.EINVAL;
  const f = p.files.get(oldfd);
  if (!f) return -Errno.EBADF;
  if (newfd < 0 || newfd >= 1024) return -Errno.EBADF;
  f.refs++;
  p.files.installAt(newfd, f, (flags & O_CLOEXEC) !== 0);
  return newfd;
}

const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_GETLK = 5;
const F_SETLK = 6;
const F_SETLKW = 7;
const F_DUPFD_CLOEXEC = 1030;
const F_GETPIPE_SZ = 1032;
const FD_CLOEXEC = 1;
/** Status flags F_SETFL may change (fs/fcntl.c SETFL_MASK). */
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME;

export function sysFcntl(p: ProcessState, a: Args): number {
  const fd = int(a[0]);
  const slot = p.files.slot(fd);
  if (!slot) return -Errno.EBADF;
  const cmd = int(a[1]);
  const arg = int(a[2]);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      if (arg < 0 || arg >= 1024) return -Errno.EINVAL;
      const nfd = p.files.install(slot.file, cmd === F_DUPFD_CLOEXEC, arg);
      if (nfd >= 0) slot.file.refs++;
      return nfd;
    }
    case F_GETFD:
      return slot.cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      slot.cloexec = (arg & FD_CLOEXEC) !== 0;
      return 0;
    case F_GETFL:
      return slot.file.statusFlags | O_LARGEFILE;
    case F_SETFL:
      slot.file.statusFlags = (slot.file.statusFlags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    case F_GETLK: {
      // One process holds every lock it asks for: report the range as unlocked (l_type
      // F_UNLCK = 2, the first short of struct flock).
      return copyOut(p, a[2], new Uint8Array([2, 0]));
    }
    case F_SETLK:
    case F_SETLKW:
      return 0;
    case F_GETPIPE_SZ:
      return slot.file instanceof PipeEnd ? 65536 : -Errno.EBADF;
    default:
      p.warnOnce(`fcntl-${cmd}`, `fcntl: command ${cmd} not supported (EINVAL)`);
      return -Errno.EINVAL;
  }
}

const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const FIONREAD = 0x541b;
const FIONBIO = 0x5421;
const FIOCLEX = 0x5451;
const FIONCLEX = 0x5450;

/**
 * struct termios (asm-generic termbits.h, 36 bytes) with the settings a fresh terminal
 * has (`stty sane`): ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO...
 * Node cannot read the host terminal's real settings.
 */
function saneTermios(): Uint8Array {
  const t = new Uint8Array(36);
  const v = new DataView(t.buffer);
  v.setUint32(0, 0x500, true);
  v.setUint32(4, 0x5, true);
  v.setUint32(8, 0xbf, true);
  v.setUint32(12, 0x8a3b, true);
  const cc = [3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0];
  t.set(cc, 17);
  return t;
}

function isTty(hostFd: number | undefined): boolean {
  return hostFd !== undefined && tty.isatty(hostFd);
}

export function sysIoctl(p: ProcessState, a: Args): number {
  const fd = int(a[0]);
  const slot = p.files.slot(fd);
  if (!slot) return -Errno.EBADF;
  const request = uint(a[1]);
  const file = slot.file;
  switch (request) {
    case FIOCLEX:
    case FIONCLEX:
      slot.cloexec = request === FIOCLEX;
      return 0;
    case FIONBIO:
      return 0;
    case FIONREAD: {
      const avail = file instanceof PipeEnd ? file.pendingBytes : 0;
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, avail, true);
      return copyOut(p, a[2], b);
    }
    default:
      break;
  }
  if (!isTty(file.hostFd)) return -Errno.ENOTTY;
  switch (request) {
    case TCGETS:
      return copyOut(p, a[2], saneTermios());
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
    case TIOCSWINSZ:
    case TIOCSPGRP:
      return 0;
    case TIOCGPGRP: {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, p.ids.pid, true);
      return copyOut(p, a[2], b);
    }
    case TIOCGWINSZ: {
      const stream = file.hostFd === 1 ? process.stdout : process.stderr;
      const b = new Uint8Array(8);
      const v = new DataView(b.buffer);
      v.setUint16(0, stream.rows ?? 24, true);
      v.setUint16(2, stream.columns ?? 80, true);
      return copyOut(p, a[2], b);
    }
    default:
      p.warnOnce(`ioctl-${request}`, `ioctl 0x${request.toString(16)} not supported (ENOTTY)`);
      return -Errno.ENOTTY;
  }
}

export function sysPipe2(p: ProcessState, a: Args): number {
  const flags = uint(a[1]);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -Errno.EINVAL;
  const [reader, writer] = PipeEnd.pair(flags);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = p.files.install(reader, cloexec);
  if (rfd < 0) return rfd;
  const wfd = p.files.install(writer, cloexec);
  if (wfd < 0) {
    p.files.close(rfd);
    return wfd;
  }
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, rfd, true);
  v.setInt32(4, wfd, true);
  const r = copyOut(p, a[0], b);
  if (r < 0) {
    p.files.close(rfd);
    p.files.close(wfd);
  }
  return r;
}
