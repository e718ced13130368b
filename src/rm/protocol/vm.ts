// VM-level constants shared by the RM and its clients (gunyah-abi.md section 3).

/** VMIDs with a fixed meaning. */
export const Vmid = {
  HYP: 0,
  HLOS: 3,
  DYNAMIC_FIRST: 0x80,
  DYNAMIC_LAST: 0xbf,
  RM: 0xff,
} as const;

export const VmStatus = {
  NONE: 0,
  INIT: 1,
  READY: 2,
  RUNNING: 3,
  PAUSED: 4,
  LOAD: 5,
  AUTH: 6,
  INIT_FAILED: 8,
  EXITED: 9,
  RESETTING: 10,
  RESET: 11,
} as const;
export type VmStatus = (typeof VmStatus)[keyof typeof VmStatus];

/** Guest OS status reported with VM_STATUS (the RM's os_status). */
export const OsStatus = {
  NONE: 0,
  EARLY_BOOT: 1,
  BOOT: 2,
  INIT: 3,
  RUN: 4,
} as const;

export const ExitType = {
  VM_EXIT: 0,
  PSCI_POWER_OFF: 1,
  PSCI_SYSTEM_RESET: 2,
  PSCI_SYSTEM_RESET2: 3,
  WATCHDOG_BITE: 4,
  HYP_ERROR: 5,
  ASYNC_EXT_ABORT: 6,
  VM_STOP_FORCED: 7,
} as const;
export type ExitType = (typeof ExitType)[keyof typeof ExitType];

/** VM_STOP flags. */
export const VM_STOP_FLAG_FORCE = 1;

/** VM_SET_BOOT_CONTEXT register sets (the v17 UAPI's set numbers). */
export const BootRegSet = { X: 0, PC: 1, SP: 2 } as const;
export type BootRegSet = (typeof BootRegSet)[keyof typeof BootRegSet];

/** VM_SET_ADDRESS_LAYOUT range ids. */
export const AddressRange = { IMAGE: 0, FIRMWARE: 1 } as const;

/** VM_CONFIG_IMAGE auth mechanisms; we support only unauthenticated images. */
export const AUTH_NONE = 0;

export const HypResourceType = {
  DOORBELL_SRC: 0,
  DOORBELL: 1,
  MSG_QUEUE_SEND: 2,
  MSG_QUEUE_RECV: 3,
  VIRTUAL_CPU: 4,
  VIRTUAL_PM: 5,
  VIRTIO_MMIO: 6,
  VRTC: 7,
  WATCHDOG: 8,
  MEM_EXTENT: 9,
  ADDR_SPACE: 10,
} as const;
export type HypResourceType = (typeof HypResourceType)[keyof typeof HypResourceType];

/** MEM_EXTENT resource labels: how the host tells the four per-VM extents apart. */
export const MemExtentLabel = {
  GUEST_PRIVATE: 0,
  HOST_SHARED: 1,
  HOST_PRIVATE: 2,
  GUEST_SHARED: 3,
} as const;

/** A resource with no VIRQ reports this value (the RM's VIRQ_INVALID). */
export const NO_VIRQ = 0xffff_ffff;
/** Dynamic VIRQs the RM hands out start at SPI 960 (INTID 992). */
export const RM_VIRQ_SPI_BASE = 960;
export const SPI_INTID_BASE = 32;
