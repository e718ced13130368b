// Typed host errors with errno-style codes, mapped from hypervisor and RM errors the
// way the Linux v17 driver does (gunyah_error_remap, gunyah_rm_error_remap). They cross
// the host's user interface as Result errors; GunyahError extends Error so a VMM may
// throw it unchanged.

import { err, type Result } from "../lib/result.js";
import { hypErrorName, hypErrorToErrno } from "../hyp/abi/index.js";
import { rmErrorName, rmErrorToErrno as rmErrorFromWire } from "../rm/protocol/index.js";

/** The errno values the host interface reports (Linux numbering). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
} as const;
export type ErrnoName = keyof typeof Errno;

/** Where an error came from, kept for diagnostics and tests. */
export interface ErrorOrigin {
  /** The hypervisor error code (enum error) when a hypercall failed. */
  readonly hypError?: number;
  /** The RM error code when an RM call failed. */
  readonly rmError?: number;
}

export class GunyahError extends Error {
  override name = "GunyahError";

  constructor(
    readonly code: ErrnoName,
    message: string,
    readonly origin: ErrorOrigin = {},
  ) {
    super(`${code}: ${message}`);
  }

  /** The negative errno, as the ioctl would return it. */
  get errno(): number {
    return -Errno[this.code];
  }
}

export type HostResult<T> = Result<T, GunyahError>;

/** Shorthand for `err(new GunyahError(code, message))`. */
export function fail(code: ErrnoName, message: string, origin?: ErrorOrigin) {
  return err(new GunyahError(code, message, origin));
}

function isErrnoName(name: string): name is ErrnoName {
  return Object.hasOwn(Errno, name);
}

/** A failed hypercall as Linux reports it (gunyah_error_remap, gunyah-abi.md section 1). */
export function fromHypError(code: number, what: string): GunyahError {
  const name = hypErrorToErrno(code);
  const errno: ErrnoName = isErrnoName(name) ? name : "EINVAL";
  return new GunyahError(errno, `${what}: ${hypErrorName(code)}`, { hypError: code });
}

/** Linux's gunyah_rm_error_remap (rm/protocol), as this driver's errno names. */
export function rmErrorToErrno(code: number): ErrnoName {
  const name = rmErrorFromWire(code);
  return isErrnoName(name) ? name : "EBADMSG";
}

/**
 * A failed RM call; `hypError` is the hypervisor error the reply carried as its error
 * data (HypErrorData: VM_SET_TIME_BASE), kept in the origin and named in the message.
 */
export function fromRmError(code: number, what: string, hypError?: number): GunyahError {
  const message = `${what}: RM error ${rmErrorName(code)}`;
  return hypError === undefined
    ? new GunyahError(rmErrorToErrno(code), message, { rmError: code })
    : new GunyahError(
        rmErrorToErrno(code),
        `${message} (hypervisor error ${hypErrorName(hypError)})`,
        { rmError: code, hypError },
      );
}

export function isError<T>(r: HostResult<T>): r is { ok: false; error: GunyahError } {
  return !r.ok;
}

/** Helper for code that must convert a result into an exception at a trust boundary. */
export function unwrap<T>(r: HostResult<T>): T {
  if (!r.ok) throw r.error;
  return r.value;
}

export type { Result };
