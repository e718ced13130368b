// Tracing of the RM's RPC (category "rpc") and of VM lifecycle transitions (category
// "vm"). Every request a client sends is a slice on the RM's track for that client
// (pid = the RM's VMID, tid = the client's VMID) from its arrival to the reply, named
// by its message and carrying the request's decoded fields, the reply's error by
// name and the reply's decoded fields; every notification the RM sends is an
// instant on the destination's track. Payloads are decoded with the same layouts the
// RM parses them with (rm/protocol); a payload that does not decode is shown as its
// length, never trusted further.

import { hex, TraceCat, type TraceArgs, type Tracer } from "../lib/trace.js";
import type { Layout } from "../lib/layout.js";
import {
  AclEntry,
  decodeList,
  HypResourcesHeader,
  MemAcceptHeader,
  MemAppendHeader,
  MemCreateHeader,
  MemHandleReply,
  MemNotifyHeader,
  MemOwnerNotification,
  MemRecallNotification,
  MemReleaseRequest,
  MemMsg,
  MemSharedNotification,
  parseReply,
  RmNotification,
  rmErrorName,
  rmMessageName,
  SglEntry,
  VmConfigImageRequest,
  VmExitedNotification,
  VmExitRequest,
  VmidReply,
  VmidRequest,
  VmMsg,
  VmSetAddressLayoutRequest,
  VmSetBootContextRequest,
  VmSetDemandPagingHeader,
  VmShutdownNotification,
  VmStateReply,
  VmStatus,
  VmStatusNotification,
  VmStopRequest,
} from "./protocol/index.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLayout = Layout<any>;

/** Per message: the layout its request (or notification) starts with, and its reply's. */
const SCHEMAS = new Map<number, { readonly request?: AnyLayout; readonly reply?: AnyLayout }>([
  [VmMsg.VM_ALLOC_VMID, { request: VmidRequest, reply: VmidReply }],
  [VmMsg.VM_DEALLOC_VMID, { request: VmidRequest }],
  [VmMsg.VM_START, { request: VmidRequest }],
  [VmMsg.VM_STOP, { request: VmStopRequest }],
  [VmMsg.VM_RESET, { request: VmidRequest }],
  [VmMsg.VM_CONFIG_IMAGE, { request: VmConfigImageRequest }],
  [VmMsg.VM_INIT, { request: VmidRequest }],
  [VmMsg.VM_GET_STATE, { request: VmidRequest, reply: VmStateReply }],
  [VmMsg.VM_GET_HYP_RESOURCES, { request: VmidRequest, reply: HypResourcesHeader }],
  [VmMsg.VM_GET_VMID, { reply: VmidReply }],
  [VmMsg.VM_SET_BOOT_CONTEXT, { request: VmSetBootContextRequest }],
  [VmMsg.VM_SET_DEMAND_PAGING, { request: VmSetDemandPagingHeader }],
  [VmMsg.VM_SET_ADDRESS_LAYOUT, { request: VmSetAddressLayoutRequest }],
  [VmMsg.VM_EXIT, { request: VmExitRequest }],
  [MemMsg.MEM_LEND, { request: MemCreateHeader, reply: MemHandleReply }],
  [MemMsg.MEM_SHARE, { request: MemCreateHeader, reply: MemHandleReply }],
  [MemMsg.MEM_DONATE, { request: MemCreateHeader, reply: MemHandleReply }],
  [MemMsg.MEM_APPEND, { request: MemAppendHeader }],
  [MemMsg.MEM_ACCEPT, { request: MemAcceptHeader }],
  [MemMsg.MEM_RELEASE, { request: MemReleaseRequest }],
  [MemMsg.MEM_RECLAIM, { request: MemReleaseRequest }],
  [MemMsg.MEM_NOTIFY, { request: MemNotifyHeader }],
  [RmNotification.VM_EXITED, { request: VmExitedNotification }],
  [RmNotification.VM_SHUTDOWN, { request: VmShutdownNotification }],
  [RmNotification.VM_STATUS, { request: VmStatusNotification }],
  [RmNotification.MEM_SHARED, { request: MemSharedNotification }],
  [RmNotification.MEM_RELEASED, { request: MemOwnerNotification }],
  [RmNotification.MEM_ACCEPTED, { request: MemOwnerNotification }],
  [RmNotification.MEM_RECALL, { request: MemRecallNotification }],
]);

const MEM_CREATE = new Set<number>([MemMsg.MEM_LEND, MemMsg.MEM_SHARE, MemMsg.MEM_DONATE]);

/** Copies a decoded layout's fields into `out` with `prefix`; false if it does not decode. */
function decodeFields(
  schema: AnyLayout | undefined,
  data: Uint8Array,
  prefix: string,
  out: TraceArgs,
): void {
  if (!schema) return;
  const value = schema.decode(data) as Record<string, unknown> | undefined;
  if (!value) {
    out[`${prefix}undecoded`] = `${data.length} bytes`;
    return;
  }
  for (const [k, v] of Object.entries(value))
    out[`${prefix}${k}`] = typeof v === "bigint" ? hex(v) : typeof v === "number" ? v : String(v);
}

/** MEM_LEND/SHARE/DONATE: the ACL's VMIDs and the SGL's ranges, after the header. */
function decodeMemCreateLists(payload: Uint8Array, out: TraceArgs): void {
  const acl = decodeList(AclEntry, payload, MemCreateHeader.size);
  if (!acl.ok) return;
  out.acl = acl.value.entries.map((e) => `${e.vmid}:${e.rights}`).join(" ");
  const sgl = decodeList(SglEntry, payload, acl.value.next);
  if (!sgl.ok) return;
  out.sgl = sgl.value.entries.map((e) => `${hex(e.ipa)}+${hex(e.size)}`).join(" ");
}

/** The args of a request and its reply. */
export function rpcArgs(
  msgId: number,
  seq: number,
  request: Uint8Array,
  reply: Uint8Array,
): TraceArgs {
  const schema = SCHEMAS.get(msgId >>> 0);
  const args: TraceArgs = { seq, msg_id: hex(msgId >>> 0), request_bytes: request.length };
  decodeFields(schema?.request, request, "", args);
  if (MEM_CREATE.has(msgId >>> 0)) decodeMemCreateLists(request, args);
  const parsed = parseReply(reply);
  if (!parsed) {
    args.error = "MALFORMED";
    return args;
  }
  args.error = rmErrorName(parsed.error);
  if (parsed.error === 0) decodeFields(schema?.reply, parsed.data, "reply_", args);
  return args;
}

/** Runs a request's handler inside a slice on the RM's track for `client`. */
export function traceRequest(
  tracer: Tracer,
  rmVmid: number,
  client: number,
  msg: { readonly msgId: number; readonly seq: number; readonly payload: Uint8Array },
  handle: () => Uint8Array,
): Uint8Array {
  tracer.nameThread(rmVmid, client, `RPC with VM ${client}`);
  const start = tracer.now();
  const reply = handle();
  const args = rpcArgs(msg.msgId, msg.seq, msg.payload, reply);
  tracer.complete(TraceCat.RPC, rmMessageName(msg.msgId), rmVmid, client, start, args);
  return reply;
}

/** A notification the RM sends to `vmid`. */
export function traceNotification(
  tracer: Tracer,
  rmVmid: number,
  vmid: number,
  id: number,
  payload: Uint8Array,
): void {
  const args: TraceArgs = { to: vmid, msg_id: hex(id >>> 0) };
  decodeFields(SCHEMAS.get(id >>> 0)?.request, payload, "", args);
  tracer.nameThread(rmVmid, vmid, `RPC with VM ${vmid}`);
  tracer.instant(TraceCat.RPC, rmMessageName(id), rmVmid, vmid, args);
}

const STATUS_NAMES = new Map<number, string>(Object.entries(VmStatus).map(([k, v]) => [v, k]));

export function vmStatusName(status: number): string {
  return STATUS_NAMES.get(status) ?? String(status);
}

/** A VM's status changed (category "vm"), on the VM's own track. */
export function traceVmStatus(tracer: Tracer, vmid: number, from: number, to: number): void {
  if (!tracer.enabled(TraceCat.VM)) return;
  tracer.nameProcess(vmid, `VM ${vmid}`);
  tracer.instant(TraceCat.VM, `VM ${vmStatusName(to)}`, vmid, 0, {
    vmid,
    from: vmStatusName(from),
    to: vmStatusName(to),
  });
}
