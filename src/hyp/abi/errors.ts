// Hypervisor error codes (enum error, gunyah-abi.md section 1). Returned in X0.

export const HypError = {
  OK: 0,
  UNIMPLEMENTED: -1,
  RETRY: -2,
  ARGUMENT_INVALID: 1,
  ARGUMENT_SIZE: 2,
  ARGUMENT_ALIGNMENT: 3,
  NOMEM: 10,
  NORESOURCES: 11,
  ADDR_OVERFLOW: 20,
  ADDR_UNDERFLOW: 21,
  ADDR_INVALID: 22,
  DENIED: 30,
  BUSY: 31,
  IDLE: 32,
  OBJECT_STATE: 33,
  OBJECT_CONFIG: 34,
  OBJECT_CONFIGURED: 35,
  FAILURE: 36,
  VIRQ_BOUND: 40,
  VIRQ_NOT_BOUND: 41,
  CSPACE_CAP_NULL: 50,
  CSPACE_CAP_REVOKED: 51,
  CSPACE_WRONG_OBJECT_TYPE: 52,
  CSPACE_INSUFFICIENT_RIGHTS: 53,
  CSPACE_FULL: 54,
  MSGQUEUE_EMPTY: 60,
  MSGQUEUE_FULL: 61,
  MEM_INUSE: 101,
  MEMDB_NOT_OWNER: 111,
  MEMEXTENT_MAPPINGS_FULL: 120,
  EXISTING_MAPPING: 200,
} as const;
export type HypError = (typeof HypError)[keyof typeof HypError];

const NAMES = new Map<number, string>(Object.entries(HypError).map(([k, v]) => [v, k]));

export function hypErrorName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(${code})`;
}

/** Decodes X0 (a u64) as a signed error code. */
export function hypErrorFromX0(x0: bigint): number {
  return Number(BigInt.asIntN(64, x0));
}

/** The Linux host driver's errno mapping (gunyah_error_remap). */
export function hypErrorToErrno(code: number): string {
  switch (code) {
    case HypError.OK:
      return "OK";
    case HypError.NOMEM:
      return "ENOMEM";
    case HypError.DENIED:
    case HypError.CSPACE_CAP_NULL:
    case HypError.CSPACE_CAP_REVOKED:
    case HypError.CSPACE_WRONG_OBJECT_TYPE:
    case HypError.CSPACE_INSUFFICIENT_RIGHTS:
      return "EACCES";
    case HypError.CSPACE_FULL:
    case HypError.BUSY:
    case HypError.IDLE:
      return "EBUSY";
    case HypError.VIRQ_BOUND:
    case HypError.VIRQ_NOT_BOUND:
    case HypError.MSGQUEUE_EMPTY:
    case HypError.MSGQUEUE_FULL:
      return "EIO";
    case HypError.UNIMPLEMENTED:
      return "EOPNOTSUPP";
    case HypError.RETRY:
      return "EAGAIN";
    default:
      return "EINVAL";
  }
}
