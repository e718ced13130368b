// The aarch64 Linux syscall table (include/uapi/asm-generic/unistd.h numbers) of
// `gunyah exec`. A number missing here answers -ENOSYS, with one warning per number.

import type { Handler } from "./args.js";
import * as fd from "./fd.js";
import * as io from "./io.js";
import * as mm from "./mm.js";
import * as paths from "./paths.js";
import * as proc from "./proc.js";
import * as signals from "./signals.js";
import * as stat from "./stat.js";
import * as time from "./time.js";

export interface SyscallEntry {
  readonly name: string;
  readonly handler: Handler;
}

const entries: readonly [number, string, Handler][] = [
  [17, "getcwd", paths.sysGetcwd],
  [23, "dup", fd.sysDup],
  [24, "dup3", fd.sysDup3],
  [25, "fcntl", fd.sysFcntl],
  [29, "ioctl", fd.sysIoctl],
  [34, "mkdirat", paths.sysMkdirat],
  [35, "unlinkat", paths.sysUnlinkat],
  [36, "symlinkat", paths.sysSymlinkat],
  [37, "linkat", paths.sysLinkat],
  [38, "renameat", paths.sysRenameat],
  [46, "ftruncate", paths.sysFtruncate],
  [48, "faccessat", paths.sysFaccessat],
  [49, "chdir", paths.sysChdir],
  [50, "fchdir", paths.sysFchdir],
  [52, "fchmod", paths.sysFchmod],
  [53, "fchmodat", paths.sysFchmodat],
  [56, "openat", fd.sysOpenat],
  [57, "close", fd.sysClose],
  [59, "pipe2", fd.sysPipe2],
  [61, "getdents64", io.sysGetdents64],
  [62, "lseek", io.sysLseek],
  [63, "read", io.sysRead],
  [64, "write", io.sysWrite],
  [65, "readv", io.sysReadv],
  [66, "writev", io.sysWritev],
  [67, "pread64", io.sysPread64],
  [68, "pwrite64", io.sysPwrite64],
  [69, "preadv", io.sysPreadv],
  [70, "pwritev", io.sysPwritev],
  [71, "sendfile", io.sysSendfile],
  [78, "readlinkat", paths.sysReadlinkat],
  [79, "newfstatat", stat.sysNewfstatat],
  [80, "fstat", stat.sysFstat],
  [81, "sync", proc.sysZero],
  [82, "fsync", paths.sysFsync],
  [83, "fdatasync", paths.sysFsync],
  [88, "utimensat", paths.sysUtimensat],
  [93, "exit", proc.sysExitGroup],
  [94, "exit_group", proc.sysExitGroup],
  [96, "set_tid_address", proc.sysSetTidAddress],
  [98, "futex", proc.sysFutex],
  [99, "set_robust_list", proc.sysSetRobustList],
  [101, "nanosleep", time.sysNanosleep],
  [113, "clock_gettime", time.sysClockGettime],
  [114, "clock_getres", time.sysClockGetres],
  [115, "clock_nanosleep", time.sysClockNanosleep],
  [123, "sched_getaffinity", proc.sysSchedGetaffinity],
  [124, "sched_yield", proc.sysZero],
  [129, "kill", signals.sysKill],
  [130, "tkill", signals.sysTkill],
  [131, "tgkill", signals.sysTgkill],
  [132, "sigaltstack", signals.sysSigaltstack],
  [134, "rt_sigaction", signals.sysRtSigaction],
  [135, "rt_sigprocmask", signals.sysRtSigprocmask],
  [140, "setpriority", proc.sysZero],
  [153, "times", time.sysTimes],
  [155, "getpgid", proc.sysSessionId],
  [156, "getsid", proc.sysSessionId],
  [157, "setsid", proc.sysSessionId],
  [158, "getgroups", proc.sysGetgroups],
  [160, "uname", proc.sysUname],
  [163, "getrlimit", proc.sysGetrlimit],
  [164, "setrlimit", proc.sysSetrlimit],
  [165, "getrusage", time.sysGetrusage],
  [166, "umask", proc.sysUmask],
  [167, "prctl", proc.sysPrctl],
  [169, "gettimeofday", time.sysGettimeofday],
  [172, "getpid", proc.sysGetpid],
  [173, "getppid", proc.sysGetppid],
  [174, "getuid", proc.sysGetuid],
  [175, "geteuid", proc.sysGetuid],
  [176, "getgid", proc.sysGetgid],
  [177, "getegid", proc.sysGetgid],
  [178, "gettid", proc.sysGetpid],
  [179, "sysinfo", time.sysSysinfo],
  [214, "brk", mm.sysBrk],
  [215, "munmap", mm.sysMunmap],
  [216, "mremap", mm.sysMremap],
  [222, "mmap", mm.sysMmap],
  [223, "fadvise64", proc.sysZero],
  [226, "mprotect", mm.sysMprotect],
  [227, "msync", mm.sysMemNop],
  [228, "mlock", mm.sysMemNop],
  [229, "munlock", mm.sysMemNop],
  [233, "madvise", mm.sysMadvise],
  [261, "prlimit64", proc.sysPrlimit64],
  [276, "renameat2", paths.sysRenameat2],
  [278, "getrandom", time.sysGetrandom],
  [291, "statx", stat.sysStatx],
  // glibc registers restartable sequences at start-up and carries on without them;
  // declining is what qemu-aarch64 7.2 does too (no warning: it is expected).
  [293, "rseq", proc.sysNotSupported],
  [439, "faccessat2", paths.sysFaccessat],
];

export const SYSCALLS: ReadonlyMap<number, SyscallEntry> = new Map(
  entries.map(([nr, name, handler]) => [nr, { name, handler }]),
);
