// The kernel-side state of one `gunyah exec` process: address space, descriptors,
// program break, cwd, signal dispositions. Syscall handlers read and edit it; the
// run loop (process.ts) owns the CPU.

import * as path from "node:path";
import { log } from "../lib/log.js";
import type { AddressSpace } from "./memory.js";
import { FdTable, HostFile } from "./files.js";
import { Errno } from "./errno.js";
import type { Result } from "../lib/result.js";
import { err, ok } from "../lib/result.js";

export interface HostStdio {
  readonly stdin: number;
  readonly stdout: number;
  readonly stderr: number;
}

export interface SignalAction {
  readonly handler: bigint;
  readonly flags: bigint;
  readonly restorer: bigint;
  readonly mask: bigint;
}

export interface ProcessIds {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly gid: number;
}

export class ProcessState {
  readonly files = new FdTable();
  cwd: string;
  umask = 0o022;
  brkStart = 0;
  brk = 0;
  clearChildTid = 0n;
  robustList = 0n;
  signalMask = 0n;
  readonly signalActions = new Map<number, SignalAction>();
  /** Set by exit/exit_group or a fatal signal: the run loop stops. */
  exitStatus: number | undefined;
  /** A fatal signal's number, for the report on stderr. */
  killedBy: number | undefined;
  private readonly warned = new Set<string>();
  /** Host CPU time at start: the process CPU-time clocks count from here. */
  readonly startCpuNs = BigInt(process.cpuUsage().user + process.cpuUsage().system) * 1000n;
  /** Resource limits set with prlimit64 (resource -> [soft, hard]). */
  readonly rlimits = new Map<number, [bigint, bigint]>();
  threadName = "";

  constructor(
    readonly mem: AddressSpace,
    readonly ids: ProcessIds,
    stdio: HostStdio,
    cwd: string,
    /** The program's host path: what /proc/self/exe names. */
    readonly exePath: string,
  ) {
    this.cwd = cwd;
    this.files.installAt(0, new HostFile(stdio.stdin, undefined, 0, false), false);
    this.files.installAt(1, new HostFile(stdio.stdout, undefined, 1, false), false);
    this.files.installAt(2, new HostFile(stdio.stderr, undefined, 1, false), false);
  }

  /** One line on stderr per distinct `key`, for the program's whole life. */
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    log(`gunyah exec: ${message}`);
  }

  /**
   * The host path for a guest path relative to `dirfd` (AT_FDCWD = -100 or a
   * directory descriptor), as the *at syscalls resolve it.
   */
  resolvePath(dirfd: number, guestPath: string): Result<string, number> {
    if (guestPath.startsWith("/")) return ok(guestPath);
    if (dirfd === AT_FDCWD) return ok(path.posix.join(this.cwd, guestPath));
    const file = this.files.get(dirfd);
    if (!file) return err(Errno.EBADF);
    if (file.path === undefined) return err(Errno.ENOTDIR);
    return ok(guestPath === "" ? file.path : path.posix.join(file.path, guestPath));
  }
}

export const AT_FDCWD = -100;
