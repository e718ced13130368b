// Gunyah hypercall ABI: SMCCC vendor-hypervisor fast calls through HVC #0
// (gunyah-abi.md section 1). This folder is the "header" the RM and the host see;
// neither may import the hypervisor's objects.

/** Fast call (bit 31), SMC64 (bit 30), owner 6 vendor-hyp (bits 29:24), class 0b10 (bit 15). */
export const HYPERCALL_BASE = 0xc600_8000;

export function hypercallId(callNumber: number): number {
  return (HYPERCALL_BASE | callNumber) >>> 0;
}

/**
 * Call numbers, as in the hypervisor's hypercall definitions (the `.hvc` files of
 * quic/gunyah-hypervisor: partition_standard, object_standard, cspace, doorbell,
 * msgqueue, vic, addrspace, memextent, vcpu, vpm, prng, vcpu_run). Verified there:
 * vpm_group_attach_vcpu 0x3c, vcpu_set_affinity 0x3d (res1), cspace_attach_thread 0x3e,
 * cspace_revoke_caps_from 0x59 (0x26 is hwirq_bind_virq).
 */
export const Call = {
  HYPERVISOR_IDENTIFY: 0x00,
  PARTITION_CREATE_PARTITION: 0x01,
  PARTITION_CREATE_CSPACE: 0x02,
  PARTITION_CREATE_ADDRSPACE: 0x03,
  PARTITION_CREATE_MEMEXTENT: 0x04,
  PARTITION_CREATE_THREAD: 0x05,
  PARTITION_CREATE_DOORBELL: 0x06,
  PARTITION_CREATE_MSGQUEUE: 0x07,
  PARTITION_CREATE_VIC: 0x0a,
  PARTITION_CREATE_VPM_GROUP: 0x0b,
  OBJECT_ACTIVATE: 0x0c,
  OBJECT_ACTIVATE_FROM: 0x0d,
  OBJECT_RESET: 0x0e,
  OBJECT_RESET_FROM: 0x0f,
  DOORBELL_BIND_VIRQ: 0x10,
  DOORBELL_UNBIND_VIRQ: 0x11,
  DOORBELL_SEND: 0x12,
  DOORBELL_RECEIVE: 0x13,
  DOORBELL_RESET: 0x14,
  DOORBELL_MASK: 0x15,
  MSGQUEUE_BIND_SEND_VIRQ: 0x17,
  MSGQUEUE_BIND_RECEIVE_VIRQ: 0x18,
  MSGQUEUE_UNBIND_SEND_VIRQ: 0x19,
  MSGQUEUE_UNBIND_RECEIVE_VIRQ: 0x1a,
  MSGQUEUE_SEND: 0x1b,
  MSGQUEUE_RECEIVE: 0x1c,
  MSGQUEUE_FLUSH: 0x1d,
  MSGQUEUE_CONFIGURE_SEND: 0x1f,
  MSGQUEUE_CONFIGURE_RECEIVE: 0x20,
  MSGQUEUE_CONFIGURE: 0x21,
  CSPACE_DELETE_CAP_FROM: 0x22,
  CSPACE_COPY_CAP_FROM: 0x23,
  CSPACE_REVOKE_CAP_FROM: 0x24,
  CSPACE_CONFIGURE: 0x25,
  VIC_CONFIGURE: 0x28,
  VIC_ATTACH_VCPU: 0x29,
  ADDRSPACE_ATTACH_THREAD: 0x2a,
  ADDRSPACE_MAP: 0x2b,
  ADDRSPACE_UNMAP: 0x2c,
  ADDRSPACE_UPDATE_ACCESS: 0x2d,
  ADDRSPACE_CONFIGURE: 0x2e,
  MEMEXTENT_MODIFY: 0x30,
  MEMEXTENT_CONFIGURE: 0x31,
  MEMEXTENT_CONFIGURE_DERIVE: 0x32,
  VCPU_CONFIGURE: 0x34,
  VCPU_POWERON: 0x38,
  VCPU_POWEROFF: 0x39,
  VCPU_KILL: 0x3a,
  SCHEDULER_YIELD: 0x3b,
  VPM_GROUP_ATTACH_VCPU: 0x3c,
  VCPU_SET_AFFINITY: 0x3d,
  CSPACE_ATTACH_THREAD: 0x3e,
  VPM_GROUP_BIND_VIRQ: 0x43,
  VPM_GROUP_UNBIND_VIRQ: 0x44,
  VPM_GROUP_GET_STATE: 0x45,
  VCPU_SET_PRIORITY: 0x46,
  VCPU_SET_TIMESLICE: 0x47,
  PRNG_GET_ENTROPY: 0x57,
  CSPACE_REVOKE_CAPS_FROM: 0x59,
  ADDRSPACE_LOOKUP: 0x5a,
  VCPU_BIND_VIRQ: 0x5c,
  VCPU_UNBIND_VIRQ: 0x5d,
  ADDRSPACE_CONFIGURE_VMMIO: 0x60,
  MEMEXTENT_DONATE: 0x61,
  VCPU_REGISTER_WRITE: 0x64,
  VCPU_RUN: 0x65,
  VPM_GROUP_CONFIGURE: 0x66,
  VGIC_SET_MPIDR_MAPPING: 0x67,
  VCPU_RUN_CHECK: 0x68,
  // The vRTC (hyp/interfaces/vrtc/vrtc.hvc). Gunyah marks these `vendor_hyp_call` and
  // gives them no call_num: its generator leaves them out of the numbered table
  // (tools/hypercalls/hypercall.py, vendor_hypcall_list), so the public sources define
  // no number. gunyah-ts pins 0x1000.. (the .hvc file's order), clear of Gunyah's own
  // (all below 0x69) and of the debug extension below. Arguments are the .hvc's.
  PARTITION_CREATE_VRTC: 0x1000,
  VRTC_CONFIGURE: 0x1001,
  VRTC_SET_TIME_BASE: 0x1002,
  VRTC_ATTACH_ADDRSPACE: 0x1003,
  // gunyah-ts extension (not in Gunyah): the debug calls of abi/debug.ts, numbered far
  // above Gunyah's own so that they can never collide with a future one.
  VCPU_DEBUG_CONFIGURE: 0x3f00,
  VCPU_DEBUG_REG_READ: 0x3f01,
  VCPU_DEBUG_REG_WRITE: 0x3f02,
  VCPU_DEBUG_MEM_READ: 0x3f03,
  VCPU_DEBUG_MEM_WRITE: 0x3f04,
} as const;
export type CallNumber = (typeof Call)[keyof typeof Call];

/** SMCCC "unknown function" (returned for calls that are not fast + SMC64). */
export const SMCCC_UNKNOWN = -1n;
/** SMCCC fast SMC32 vendor-hyp service calls (owner 6). */
export const SMCCC_VENDOR_HYP_CALL_UID = 0x8600_ff01;
export const SMCCC_VENDOR_HYP_REVISION = 0x8600_ff03;
export const GUNYAH_UID = [0xcd8fd5c1, 0xdb5f53a4, 0x36ce6592, 0x145f3d67] as const;

/** hypervisor_identify: api version 1, 64-bit; variant in bits 63:56. */
export const API_VERSION = 1;
export const API_INFO_IS_64BIT = 1n << 15n;
export const API_VARIANT_GUNYAH = 0x48n;

/** Feature flags0 bits. */
export const Feature = {
  CSPACE: 0,
  DOORBELL: 1,
  MSGQUEUE: 2,
  VIC: 3,
  VPM: 4,
  VCPU: 5,
  MEMEXTENT: 6,
  TRACE: 7,
  WATCHDOG: 8,
  VIRTIO_MMIO: 9,
  PRNG: 10,
  VCPU_RUN: 11,
} as const;

/** Reserved hypercall inputs: res0 must be 0 and res1 must be all ones. */
export const RES0 = 0n;
export const RES1 = (1n << 64n) - 1n;
