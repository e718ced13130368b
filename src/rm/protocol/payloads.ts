// Payload layouts of every RM call, reply and notification (gunyah-abi.md section 3,
// the public RM's vm_mgnt_message.h and memparcel_msg.h, Linux v17 rsc_mgr_rpc.c).
// All little-endian and packed; "vmid" is a u16 followed by u16 padding unless noted.
// Variable parts (lists, reasons) follow the fixed layouts; see lists.ts.

import { layout, reserved, s32, u16, u32, u64, u8 } from "../../lib/layout.js";

/**
 * Every reply payload starts with the RM error (a u32); the call's data follows on OK,
 * and on an error only where the call defines error data (HypErrorData).
 */
export const ReplyHeader = layout({ error: u32 });

/**
 * The error data of VM_SET_TIME_BASE: the hypervisor's error_t behind the RM error,
 * ARGUMENT_INVALID when no hypercall was made (the public RM's vm_mgnt.c:
 * rm_reply_error(..., &hvc_err, 4) on every error). The public RM's VM_SET_FIRMWARE_MEM
 * replies the same way; this RM has no such call, so it is the only user here.
 */
export const HypErrorData = layout({ hypError: s32 });

// ---- VM management -------------------------------------------------------------

/** VM_ALLOC_VMID, VM_DEALLOC_VMID, VM_START, VM_RESET, VM_INIT, VM_GET_STATE, VM_GET_HYP_RESOURCES. */
export const VmidRequest = layout({ vmid: u16, _0: reserved(2) });
/** VM_ALLOC_VMID and VM_GET_VMID reply (the public RM's u32 vmid; the top half is 0). */
export const VmidReply = layout({ vmid: u16, _0: reserved(2) });

export const VmStopRequest = layout({ vmid: u16, flags: u8, _0: reserved(1), reason: u32 });

export const VmConfigImageRequest = layout({
  vmid: u16,
  auth: u16,
  memHandle: u32,
  imageOffset: u64,
  imageSize: u64,
  dtOffset: u64,
  dtSize: u64,
});

/** VM_GET_STATE reply: one u32 = vm_status | os_status << 8 | app_status << 16. */
export const VmStateReply = layout({ vmStatus: u8, osStatus: u8, appStatus: u16 });

/**
 * VM_SET_TIME_BASE (20 bytes, vm_mgnt_handle_set_time_base): the wall time in ns at the
 * moment the system counter read `sysTimerRef`; vmid 0 names the caller itself.
 */
export const VmSetTimeBaseRequest = layout({
  vmid: u16,
  _0: reserved(2),
  timeBase: u64,
  sysTimerRef: u64,
});

export const VmSetBootContextRequest = layout({
  vmid: u16,
  regSet: u8,
  regIndex: u8,
  _0: reserved(4),
  value: u64,
});

/** VM_SET_DEMAND_PAGING header; `count` MemRange entries follow. */
export const VmSetDemandPagingHeader = layout({ vmid: u16, _0: reserved(2), count: u32 });
export const MemRange = layout({ base: u64, size: u64 });
/** The RM accepts at most this many demand-paging ranges. */
export const MAX_DEMAND_PAGING_RANGES = 512;

export const VmSetAddressLayoutRequest = layout({
  vmid: u16,
  _0: reserved(2),
  rangeId: u32,
  base: u64,
  size: u64,
});

/** VM_EXIT, sent by a guest about itself. */
export const VmExitRequest = layout({ flags: u16, code: u8, _0: reserved(1) });

/** VM_GET_HYP_RESOURCES reply header; `count` HypResourceEntry follow. */
export const HypResourcesHeader = layout({ count: u32 });
/** 44 bytes per resource. `virq` is an INTID, or NO_VIRQ. */
export const HypResourceEntry = layout({
  type: u8,
  _0: reserved(1),
  partnerVmid: u16,
  handle: u32,
  label: u32,
  capId: u64,
  virqHandle: u32,
  virq: u32,
  base: u64,
  size: u64,
});

// ---- VM notifications ----------------------------------------------------------

/** VM_EXITED; `reasonSize` bytes of exit reason follow. */
export const VmExitedNotification = layout({ vmid: u16, exitType: u16, reasonSize: u32 });
export const VmShutdownNotification = layout({ vmid: u16, _0: reserved(2), reason: u32 });
export const VmStatusNotification = layout({
  vmid: u16,
  _0: reserved(2),
  vmStatus: u8,
  osStatus: u8,
  appStatus: u16,
});

// ---- Memory parcels ------------------------------------------------------------

export const MemType = { NORMAL: 0, IO: 1 } as const;
export const TransType = { DONATE: 0, LEND: 1, SHARE: 2 } as const;
export type TransType = (typeof TransType)[keyof typeof TransType];
export const MemRights = { X: 1, W: 2, R: 4, RX: 5, RW: 6, RWX: 7 } as const;

export const MemCreateFlag = { SANITIZE: 1, APPEND: 2 } as const;
export const MemAppendFlag = { END: 1 } as const;
export const MemAcceptFlag = {
  VALIDATE_SANITIZED: 1,
  VALIDATE_ACL_ATTRS: 2,
  VALIDATE_LABEL: 4,
  MAP_OTHER: 8,
  MAP_CONTIGUOUS: 16,
  SANITIZE: 32,
  DONE: 128,
} as const;
export const MemNotifyFlag = { SHARED: 1, RELEASED: 2, ACCEPTED: 4, RECALL: 8 } as const;
export const MemReleaseFlag = { SANITIZE: 1 } as const;

/** MEM_LEND / MEM_SHARE / MEM_DONATE header; then ACL list, SGL list, attr list. */
export const MemCreateHeader = layout({
  memType: u8,
  _0: reserved(1),
  flags: u8,
  _1: reserved(1),
  label: u32,
});
export const MemHandleReply = layout({ handle: u32 });

/**
 * MEM_ACCEPT header; then the ACL list, the SGL list (whose second u16 is map_vmid,
 * not padding) and the attr list.
 */
export const MemAcceptHeader = layout({
  handle: u32,
  memType: u8,
  transType: u8,
  flags: u8,
  _0: reserved(1),
  label: u32,
});
/** MEM_ACCEPT reply after the error: the SGL where the parcel was mapped. */
export const MemAcceptReplyHeader = layout({ sglCount: u16, flags: u8, _0: reserved(1) });

/** MEM_APPEND header; then an SGL list. */
export const MemAppendHeader = layout({ handle: u32, flags: u8, _0: reserved(3) });
/** MEM_RELEASE and MEM_RECLAIM. */
export const MemReleaseRequest = layout({ handle: u32, flags: u8, _0: reserved(3) });
/** MEM_NOTIFY; with the SHARED flag a VMID list follows. */
export const MemNotifyHeader = layout({
  handle: u32,
  flags: u8,
  _0: reserved(3),
  memInfoTag: u32,
});

/** List entries. */
export const AclEntry = layout({ vmid: u16, rights: u8, _0: reserved(1) });
export const SglEntry = layout({ ipa: u64, size: u64 });
export const AttrEntry = layout({ attr: u16, vmid: u16 });
export const VmidEntry = layout({ vmid: u16, _0: reserved(2) });

/** MEM_SHARED notification header; then ACL, SGL and attr lists. */
export const MemSharedNotification = layout({
  handle: u32,
  memType: u8,
  transType: u8,
  flags: u8,
  _0: reserved(1),
  ownerVmid: u16,
  _1: reserved(2),
  label: u32,
  memInfoTag: u32,
});
/** MEM_RELEASED and MEM_ACCEPTED notifications (to the owner). */
export const MemOwnerNotification = layout({
  handle: u32,
  vmid: u16,
  _0: reserved(2),
  memInfoTag: u32,
});
export const MemRecallNotification = layout({ handle: u32, memInfoTag: u32 });

/** Limits of section 3. */
export const MAX_LIST_ENTRIES = 512;
export const MAX_PARCELS_PER_VM = 64;
export const PAGE_SIZE = 4096;
