// Process-level syscalls: exit, exit_group, ids, set_tid_address, set_robust_list,
// uname, prlimit64, sched_getaffinity, futex (single-threaded), umask, prctl.

import * as os from "node:os";
import { Errno } from "../errno.js";
import type { ProcessState } from "../state.js";
import { copyIn, copyOut, int, ptr, size, uint } from "./args.js";
import type { Args } from "./args.js";

export function sysExitGroup(p: ProcessState, a: Args): number {
  p.exitStatus = int(a[0]) & 0xff;
  return 0;
}

export const sysGetpid = (p: ProcessState): number => p.ids.pid;
export const sysGetppid = (p: ProcessState): number => p.ids.ppid;
export const sysGetuid = (p: ProcessState): number => p.ids.uid;
export const sysGetgid = (p: ProcessState): number => p.ids.gid;

export function sysSetTidAddress(p: ProcessState, a: Args): number {
  p.clearChildTid = a[0];
  return p.ids.pid;
}

export function sysSetRobustList(p: ProcessState, a: Args): number {
  if (size(a[1]) !== 24) return -Errno.EINVAL; // sizeof(struct robust_list_head)
  p.robustList = a[0];
  return 0;
}

function utsField(s: string): Uint8Array {
  const b = new Uint8Array(65);
  b.set(Buffer.from(s).subarray(0, 64));
  return b;
}

/** struct new_utsname: six 65-byte fields; the machine is the guest's, "aarch64". */
export function sysUname(p: ProcessState, a: Args): number {
  const fields = [os.type(), os.hostname(), os.release(), os.version(), "aarch64", "(none)"];
  const b = new Uint8Array(65 * 6);
  fields.forEach((f, i) => b.set(utsField(f), i * 65));
  return copyOut(p, a[0], b);
}

const RLIM_INFINITY = (1n << 64n) - 1n;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;
const RLIM_NLIMITS = 16;

function defaultLimit(resource: number): [bigint, bigint] {
  if (resource === RLIMIT_STACK) return [8n * 1024n * 1024n, RLIM_INFINITY];
  if (resource === RLIMIT_NOFILE) return [1024n, 1024n];
  return [RLIM_INFINITY, RLIM_INFINITY];
}

export function sysPrlimit64(p: ProcessState, a: Args): number {
  const pid = int(a[0]);
  if (pid !== 0 && pid !== p.ids.pid) return -Errno.ESRCH;
  const resource = uint(a[1]);
  if (resource >= RLIM_NLIMITS) return -Errno.EINVAL;
  const current = p.rlimits.get(resource) ?? defaultLimit(resource);
  let next: [bigint, bigint] | undefined;
  if (a[2] !== 0n) {
    const raw = copyIn(p, a[2], 16);
    if (typeof raw === "number") return raw;
    const v = new DataView(raw.buffer);
    next = [v.getBigUint64(0, true), v.getBigUint64(8, true)];
    if (next[0] > next[1]) return -Errno.EINVAL;
    if (next[1] > current[1]) return -Errno.EPERM;
  }
  if (a[3] !== 0n) {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, current[0], true);
    v.setBigUint64(8, current[1], true);
    const r = copyOut(p, a[3], b);
    if (r < 0) return r;
  }
  if (next) p.rlimits.set(resource, next);
  return 0;
}

export function sysGetrlimit(p: ProcessState, a: Args): number {
  return sysPrlimit64(p, [0n, a[0], 0n, a[1], 0n, 0n]);
}

export function sysSetrlimit(p: ProcessState, a: Args): number {
  return sysPrlimit64(p, [0n, a[0], a[1], 0n, 0n, 0n]);
}

/** One CPU: the mask has bit 0 set; returns the bytes written (the kernel's cpumask size). */
export function sysSchedGetaffinity(p: ProcessState, a: Args): number {
  const n = size(a[1]);
  if (n === undefined || n < 8 || n % 8 !== 0) return -Errno.EINVAL;
  const b = new Uint8Array(8);
  b[0] = 1;
  const r = copyOut(p, a[2], b);
  return r < 0 ? r : 8;
}

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_CMD_MASK = ~(128 | 256); // FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME

/**
 * futex for a single-threaded process: nobody else can change the word or wake us, so
 * a wait on a differing value is EAGAIN, a wait with a timeout times out, and a wait
 * without one would block forever (reported, and answered with EDEADLK).
 */
export function sysFutex(p: ProcessState, a: Args): number {
  const op = int(a[1]) & FUTEX_CMD_MASK;
  const at = ptr(a[0]);
  if (at === undefined || at % 4 !== 0) return -Errno.EINVAL;
  switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const raw = copyIn(p, a[0], 4);
      if (typeof raw === "number") return raw;
      if (new DataView(raw.buffer).getUint32(0, true) !== uint(a[2])) return -Errno.EAGAIN;
      if (a[3] !== 0n) return -Errno.ETIMEDOUT;
      p.warnOnce("futex-deadlock", "futex wait with no other thread to wake it (EDEADLK)");
      return -Errno.EDEADLK;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
      return 0;
    default:
      return -Errno.ENOSYS;
  }
}

export function sysUmask(p: ProcessState, a: Args): number {
  const old = p.umask;
  p.umask = uint(a[0]) & 0o777;
  return old;
}

const PR_SET_NAME = 15;
const PR_GET_NAME = 16;

export function sysPrctl(p: ProcessState, a: Args): number {
  switch (int(a[0])) {
    case PR_SET_NAME: {
      const at = ptr(a[1]);
      if (at === undefined) return -Errno.EFAULT;
      const r = p.mem.readCString(at, 4096);
      if (!r.ok) return -r.error;
      p.threadName = Buffer.from(r.value.subarray(0, 15)).toString("latin1");
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(Buffer.from(p.threadName, "latin1").subarray(0, 15));
      return copyOut(p, a[1], b);
    }
    default:
      return -Errno.EINVAL;
  }
}

/** Calls a single process answers trivially: sched_yield, sync, setpriority, ... */
export const sysZero = (): number => 0;

/** getpgid, getsid, setsid, getpgrp: the process leads its own group and session. */
export const sysSessionId = (p: ProcessState): number => p.ids.pid;

export function sysGetgroups(p: ProcessState, a: Args): number {
  const n = int(a[0]);
  if (n < 0) return -Errno.EINVAL;
  if (n === 0) return 1;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, p.ids.gid, true);
  const r = copyOut(p, a[1], b);
  return r < 0 ? r : 1;
}

/** A facility this process does not offer, answered ENOSYS without a warning. */
export const sysNotSupported = (): number => -Errno.ENOSYS;
