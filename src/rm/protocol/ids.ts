// RM RPC message and notification ids (gunyah-abi.md section 3; the public RM's
// vm_mgnt_message.h and memparcel_msg.h).

/** VM management calls. */
export const VmMsg = {
  VM_ALLOC_VMID: 0x5600_0001,
  VM_DEALLOC_VMID: 0x5600_0002,
  VM_START: 0x5600_0004,
  VM_STOP: 0x5600_0005,
  VM_RESET: 0x5600_0006,
  VM_CONFIG_IMAGE: 0x5600_0009,
  VM_INIT: 0x5600_000b,
  VM_GET_STATE: 0x5600_0017,
  VM_GET_HYP_RESOURCES: 0x5600_0020,
  VM_GET_VMID: 0x5600_0024,
  /** The vRTC's time base (the public RM's vm_mgnt_message.h; vm_mgnt.c handles it). */
  VM_SET_TIME_BASE: 0x5600_0030,
  VM_SET_BOOT_CONTEXT: 0x5600_0031,
  VM_SET_DEMAND_PAGING: 0x5600_0033,
  VM_SET_ADDRESS_LAYOUT: 0x5600_0034,
  VM_EXIT: 0x5600_0085,
} as const;

/** Memory parcel calls. */
export const MemMsg = {
  MEM_DONATE: 0x5100_0010,
  MEM_ACCEPT: 0x5100_0011,
  MEM_LEND: 0x5100_0012,
  MEM_SHARE: 0x5100_0013,
  MEM_RELEASE: 0x5100_0014,
  MEM_RECLAIM: 0x5100_0015,
  MEM_NOTIFY: 0x5100_0017,
  MEM_APPEND: 0x5100_0018,
} as const;

export const RmNotification = {
  VM_EXITED: 0x5610_0001,
  VM_SHUTDOWN: 0x5610_0002,
  VM_STATUS: 0x5610_0008,
  MEM_SHARED: 0x5110_0011,
  MEM_RELEASED: 0x5110_0012,
  MEM_ACCEPTED: 0x5110_0013,
  MEM_RECALL: 0x5110_0014,
} as const;

export type VmMsgId = (typeof VmMsg)[keyof typeof VmMsg];
export type MemMsgId = (typeof MemMsg)[keyof typeof MemMsg];
export type RmNotificationId = (typeof RmNotification)[keyof typeof RmNotification];

const NAMES = new Map<number, string>(
  [...Object.entries(VmMsg), ...Object.entries(MemMsg), ...Object.entries(RmNotification)].map(
    ([k, v]) => [v, k],
  ),
);

export function rmMessageName(id: number): string {
  return NAMES.get(id) ?? `0x${(id >>> 0).toString(16)}`;
}
