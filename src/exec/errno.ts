// Linux errno values as the aarch64 (asm-generic) ABI numbers them. Syscalls return
// -errno in X0 (include/uapi/asm-generic/errno-base.h, errno.h).

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
} as const;

export type ErrnoName = keyof typeof Errno;

/**
 * Maps a host error thrown by node:fs (its `code`, e.g. "ENOENT") to the guest errno.
 * Unknown codes become EIO: the guest sees a failure, never a host exception.
 */
export function errnoFromHost(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in Errno) return Errno[code as ErrnoName];
  return Errno.EIO;
}
