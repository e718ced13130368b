// RM error codes (gunyah-abi.md section 3): the first u32 of every reply payload.

export const RmError = {
  OK: 0,
  UNIMPLEMENTED: 0xffff_ffff,
  NOMEM: 1,
  NORESOURCE: 2,
  DENIED: 3,
  MSG_INVALID: 4,
  BUSY: 5,
  ARGUMENT_INVALID: 6,
  HANDLE_INVALID: 7,
  VALIDATE_FAILED: 8,
  MAP_FAILED: 9,
  MEM_INVALID: 0xa,
  MEM_INUSE: 0xb,
  MEM_RELEASED: 0xc,
  VMID_INVALID: 0xd,
  LOOKUP_FAILED: 0xe,
  IRQ_INVALID: 0xf,
  IRQ_INUSE: 0x10,
  IRQ_RELEASED: 0x11,
  IN_USE: 0x12,
  IRQ_NOT_MAPPED: 0x13,
  VM_STATE: 0x14,
} as const;
export type RmError = (typeof RmError)[keyof typeof RmError];

const NAMES = new Map<number, string>(Object.entries(RmError).map(([k, v]) => [v, k]));

export function rmErrorName(code: number): string {
  return NAMES.get(code >>> 0) ?? `UNKNOWN(${code >>> 0})`;
}

/**
 * Linux's gunyah_rm_error_remap: the errno name a failed RM call returns in the host
 * ("OK" for success). IN_USE, IRQ_NOT_MAPPED, VM_STATE and unknown codes take Linux's
 * default arm, EBADMSG.
 */
export function rmErrorToErrno(code: number): string {
  switch (code >>> 0) {
    case RmError.OK:
      return "OK";
    case RmError.UNIMPLEMENTED:
      return "EOPNOTSUPP";
    case RmError.NOMEM:
      return "ENOMEM";
    case RmError.NORESOURCE:
      return "ENODEV";
    case RmError.DENIED:
      return "EPERM";
    case RmError.BUSY:
      return "EBUSY";
    case RmError.MSG_INVALID:
    case RmError.ARGUMENT_INVALID:
    case RmError.HANDLE_INVALID:
    case RmError.VALIDATE_FAILED:
    case RmError.MAP_FAILED:
    case RmError.MEM_INVALID:
    case RmError.MEM_INUSE:
    case RmError.MEM_RELEASED:
    case RmError.VMID_INVALID:
    case RmError.LOOKUP_FAILED:
    case RmError.IRQ_INVALID:
    case RmError.IRQ_INUSE:
    case RmError.IRQ_RELEASED:
      return "EINVAL";
    default:
      return "EBADMSG";
  }
}
