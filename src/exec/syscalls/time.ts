// Time and system information: clock_gettime, clock_getres, gettimeofday, nanosleep,
// clock_nanosleep, times, getrusage, sysinfo, getrandom.

import { randomFillSync } from "node:crypto";
import * as os from "node:os";
import { Errno } from "../errno.js";
import type { ProcessState } from "../state.js";
import { copyIn, copyOut, int, ptr, size, uint } from "./args.js";
import type { Args } from "./args.js";

const realtimeBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

function cpuNs(): bigint {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
}

/** Nanoseconds for a clock id (include/uapi/linux/time.h), or undefined if unknown. */
function clockNs(p: ProcessState, id: number): bigint | undefined {
  switch (id) {
    case 0: // REALTIME
    case 5: // REALTIME_COARSE
    case 11: // TAI
      return realtimeBase + process.hrtime.bigint();
    case 1: // MONOTONIC
    case 4: // MONOTONIC_RAW
    case 6: // MONOTONIC_COARSE
    case 7: // BOOTTIME
      return process.hrtime.bigint();
    case 2: // PROCESS_CPUTIME_ID
    case 3: // THREAD_CPUTIME_ID
      return cpuNs() - p.startCpuNs;
    default:
      return undefined;
  }
}

function timespec(ns: bigint): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, ns / 1_000_000_000n, true);
  v.setBigInt64(8, ns % 1_000_000_000n, true);
  return b;
}

export function sysClockGettime(p: ProcessState, a: Args): number {
  const ns = clockNs(p, int(a[0]));
  return ns === undefined ? -Errno.EINVAL : copyOut(p, a[1], timespec(ns));
}

export function sysClockGetres(p: ProcessState, a: Args): number {
  if (clockNs(p, int(a[0])) === undefined) return -Errno.EINVAL;
  return a[1] === 0n ? 0 : copyOut(p, a[1], timespec(1n));
}

export function sysGettimeofday(p: ProcessState, a: Args): number {
  if (a[0] === 0n) return 0;
  const ns = realtimeBase + process.hrtime.bigint();
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, ns / 1_000_000_000n, true);
  v.setBigInt64(8, (ns % 1_000_000_000n) / 1000n, true);
  return copyOut(p, a[0], b);
}

function sleepNs(ns: bigint): void {
  const ms = Number(ns / 1_000_000n);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readTimespec(p: ProcessState, v: bigint): bigint | number {
  const raw = copyIn(p, v, 16);
  if (typeof raw === "number") return raw;
  const view = new DataView(raw.buffer);
  const sec = view.getBigInt64(0, true);
  const nsec = view.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return -Errno.EINVAL;
  return sec * 1_000_000_000n + nsec;
}

export function sysNanosleep(p: ProcessState, a: Args): number {
  const ns = readTimespec(p, a[0]);
  if (typeof ns === "number") return ns;
  sleepNs(ns);
  return 0;
}

const TIMER_ABSTIME = 1;

export function sysClockNanosleep(p: ProcessState, a: Args): number {
  const now = clockNs(p, int(a[0]));
  if (now === undefined) return -Errno.EINVAL;
  const ns = readTimespec(p, a[2]);
  if (typeof ns === "number") return ns;
  sleepNs(uint(a[1]) & TIMER_ABSTIME ? ns - now : ns);
  return 0;
}

/** Clock ticks (USER_HZ = 100, AT_CLKTCK) since boot. */
function ticks(ns: bigint): bigint {
  return ns / 10_000_000n;
}

export function sysTimes(p: ProcessState, a: Args): number | bigint {
  if (a[0] !== 0n) {
    const u = process.cpuUsage();
    const b = new Uint8Array(32);
    const v = new DataView(b.buffer);
    v.setBigInt64(0, ticks(BigInt(u.user) * 1000n), true);
    v.setBigInt64(8, ticks(BigInt(u.system) * 1000n), true);
    const r = copyOut(p, a[0], b);
    if (r < 0) return r;
  }
  return ticks(process.hrtime.bigint());
}

export function sysGetrusage(p: ProcessState, a: Args): number {
  const who = int(a[0]);
  if (who !== 0 && who !== -1 && who !== 1) return -Errno.EINVAL;
  const b = new Uint8Array(144);
  const v = new DataView(b.buffer);
  if (who !== -1) {
    const u = process.cpuUsage();
    v.setBigInt64(0, BigInt(Math.floor(u.user / 1e6)), true);
    v.setBigInt64(8, BigInt(u.user % 1e6), true);
    v.setBigInt64(16, BigInt(Math.floor(u.system / 1e6)), true);
    v.setBigInt64(24, BigInt(u.system % 1e6), true);
    v.setBigInt64(32, BigInt(p.mem.residentPages * 4), true); // ru_maxrss in KiB
  }
  return copyOut(p, a[1], b);
}

export function sysSysinfo(p: ProcessState, a: Args): number {
  const b = new Uint8Array(112);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, BigInt(Math.floor(os.uptime())), true);
  os.loadavg().forEach((l, i) => v.setBigUint64(8 + i * 8, BigInt(Math.round(l * 65536)), true));
  v.setBigUint64(32, BigInt(os.totalmem()), true);
  v.setBigUint64(40, BigInt(os.freemem()), true);
  v.setUint16(80, 1, true);
  v.setUint32(104, 1, true);
  return copyOut(p, a[0], b);
}

const GRND_NONBLOCK = 1;
const GRND_RANDOM = 2;
const GRND_INSECURE = 4;

export function sysGetrandom(p: ProcessState, a: Args): number {
  if (uint(a[2]) & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -Errno.EINVAL;
  const n = size(a[1]);
  if (n === undefined) return -Errno.EINVAL;
  const at = ptr(a[0]);
  if (at === undefined) return -Errno.EFAULT;
  const b = new Uint8Array(Math.min(n, 33554431));
  randomFillSync(b);
  const r = copyOut(p, a[0], b);
  return r < 0 ? r : b.length;
}
