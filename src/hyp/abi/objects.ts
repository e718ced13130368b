// Object-level constants of the hypercall ABI (gunyah-abi.md section 2): rights,
// attribute bit fields, donate types, vCPU run states. The RM and the host build
// hypercall arguments from these; the hypervisor decodes them with the same names.

/** Object states (object_state enum). */
export const ObjectState = { NONE: 0, INIT: 1, ACTIVE: 2, FAILED: 3, DESTROYING: 4 } as const;
export type ObjectState = (typeof ObjectState)[keyof typeof ObjectState];

/** Capability rights per object type (cap_rights_* bitfields). */
export const Rights = {
  GENERIC_ACTIVATE: 0x8000_0000,
  ALL: 0xffff_ffff,
  partition: { OBJECT_CREATE: 0x1, DONATE: 0x2 },
  cspace: { CAP_CREATE: 0x1, CAP_DELETE: 0x2, CAP_COPY: 0x4, ATTACH: 0x8, CAP_REVOKE: 0x10 },
  addrspace: { ATTACH: 0x1, MAP: 0x2, LOOKUP: 0x4, ADD_VMMIO_RANGE: 0x8 },
  memextent: { MAP: 0x1, DERIVE: 0x2, ATTACH: 0x4, LOOKUP: 0x8, DONATE: 0x10 },
  thread: {
    POWER: 0x1,
    AFFINITY: 0x2,
    PRIORITY: 0x4,
    TIMESLICE: 0x8,
    YIELD_TO: 0x10,
    BIND_VIRQ: 0x20,
    STATE: 0x40,
    LIFECYCLE: 0x80,
    WRITE_CONTEXT: 0x100,
    DISABLE: 0x200,
  },
  doorbell: { SEND: 0x1, RECEIVE: 0x2, BIND: 0x4 },
  msgqueue: { SEND: 0x1, RECEIVE: 0x2, BIND_SEND: 0x4, BIND_RECEIVE: 0x8 },
  vic: { BIND_SOURCE: 0x1, ATTACH_VCPU: 0x2 },
  vpm_group: { ATTACH_VCPU: 0x1, BIND_VIRQ: 0x2, QUERY: 0x4 },
  // hyp/vm/vrtc_pl031/vrtc_pl031.tc (cap_rights_vrtc).
  vrtc: { CONFIGURE: 0x1, ATTACH_ADDRSPACE: 0x2, SET_TIME_BASE: 0x4 },
} as const;

/** Access permissions (pgtable_access): X 1, W 2, R 4. */
export const Access = { NONE: 0, X: 1, W: 2, RX: 5, R: 4, RW: 6, RWX: 7 } as const;

/** memextent_attrs: bits 2:0 access, 9:8 memtype, 17:16 type. */
export const MemextentType = { BASIC: 0, SPARSE: 1 } as const;
export function memextentAttrs(access: number, type: number, memtype = 0): bigint {
  return BigInt((access & 7) | ((memtype & 3) << 8) | ((type & 3) << 16));
}

/** memextent_mapping_attrs: bits 2:0 user access, 6:4 kernel access, 23:16 memtype. */
export function mappingAttrs(access: number, memtype = 0): bigint {
  return BigInt((access & 7) | ((access & 7) << 4) | ((memtype & 0xff) << 16));
}

/** addrspace_map_flags. */
export const MapFlags = { PARTIAL: 1, PRIVATE: 2, VMMIO: 4, NOSYNC: 0x8000_0000 } as const;

/** memextent_donate options: bits 7:0 type, bit 31 nosync. */
export const DonateType = {
  TO_CHILD: 0,
  TO_PARENT: 1,
  TO_SIBLING: 2,
  TO_PROTECTED: 3,
  FROM_PROTECTED: 4,
} as const;
export const DONATE_NOSYNC = 0x8000_0000;

/** addrspace_configure_vmmio operations. */
export const VmmioOp = { ADD: 0, REMOVE: 1 } as const;

/** vcpu_option_flags bits. */
export const VcpuOption = {
  PINNED: 1 << 0,
  RING_BUFFER: 1 << 1,
  AMU_COUNTING_DISABLED: 1 << 2,
  SVE_ALLOWED: 1 << 3,
  DEBUG_ALLOWED: 1 << 4,
  TRACE_ALLOWED: 1 << 5,
  CRITICAL: 1 << 8,
  /** Proxy-scheduled: runs only inside its host's vcpu_run. */
  VCPU_RUN_SCHEDULED: 1 << 9,
} as const;

/** vcpu_register_write register sets. */
export const VcpuRegisterSet = { X: 0, PC: 1, SP_EL1: 2 } as const;

/** vcpu_poweron flags (preserve what vcpu_register_write set). */
export const PoweronFlags = { PRESERVE_ENTRY_POINT: 1, PRESERVE_CONTEXT: 2 } as const;

/** vcpu_bind_virq types. */
export const VcpuVirqType = { HALT: 0, VCPU_RUN_WAKEUP: 1 } as const;

/** vcpu_run states (X1 of the result). */
export const VcpuRunState = {
  READY: 0,
  EXPECTS_WAKEUP: 1,
  POWERED_OFF: 2,
  BLOCKED: 3,
  ADDRSPACE_VMMIO_READ: 4,
  ADDRSPACE_VMMIO_WRITE: 5,
  FAULT: 6,
  ADDRSPACE_PAGE_FAULT: 7,
  PSCI_SYSTEM_RESET: 0x100,
  /**
   * gunyah-ts debug extension (abi/debug.ts): an external debugger's breakpoint,
   * watchpoint or step stopped the vCPU. data0 = DebugStopReason (| 0x100 for a
   * watchpoint's write), data1 = the PC, data2 = a watchpoint's data address.
   */
  DEBUG_STOP: 0x3f00,
} as const;
export type VcpuRunState = (typeof VcpuRunState)[keyof typeof VcpuRunState];

/**
 * FAULT data (this implementation's: Gunyah leaves it unspecified): data0 = the IPA of
 * the access that could not be completed (0 if none), data1 = the PC, data2 = the reason.
 */
export const VcpuFaultReason = {
  /** The emulated CPU met an internal error while running guest code. */
  INTERNAL: 1,
  /**
   * An abort injected into the guest could not even fetch its exception vector (the
   * vector table is unmapped or MMIO): the guest can never make progress again.
   */
  NESTED_ABORT: 2,
} as const;

/** POWERED_OFF data0 bit 0: the VM exited (PSCI SYSTEM_OFF); it will not run again. */
export const POWERED_OFF_EXITED = 1n;

/** resume1 after a VMMIO or page-fault exit. */
export const MmioAction = { EMULATE: 0, RETRY: 1, FAULT: 2 } as const;

/** vpm_group_get_state values. */
export const VpmState = {
  NO_STATE: 0,
  RUNNING: 1,
  CPUS_SUSPENDED: 2,
  SYSTEM_SUSPENDED: 3,
} as const;

/** msgqueue_create_info: bits 15:0 depth, 31:16 max message size. */
export function msgqueueCreateInfo(depth: number, maxSize: number): bigint {
  return BigInt((depth & 0xffff) | ((maxSize & 0xffff) << 16)) & 0xffff_ffffn;
}
export const MSGQUEUE_MAX_DEPTH = 255;
export const MSGQUEUE_MAX_SIZE = 1023;
/** msgqueue_send flags bit 0: raise the receive VIRQ now, whatever the threshold. */
export const MSGQUEUE_SEND_PUSH = 1n;
