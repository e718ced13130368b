// Memory parcel operations of the RM (category "mem"): lend, share, donate, accept,
// release and reclaim that succeeded, with the parcel's handle, owner, ACL (VMID:rights)
// and ranges, on the RM's track for the calling VM. The hypervisor's own view of the
// same moves (memextent_donate by page range) is traced by the hypervisor.

import { hex, TraceCat, type Tracer } from "../lib/trace.js";
import type { Parcel, ParcelTable } from "./memparcel.js";
import { MemHandleReply, RmError } from "./protocol/index.js";
import type { Reply } from "./reply.js";

export type ParcelOp = "lend" | "share" | "donate" | "accept" | "release" | "reclaim";

export function traceParcel(
  tracer: Tracer,
  rmVmid: number,
  op: ParcelOp,
  caller: number,
  parcel: Parcel,
): void {
  tracer.instant(TraceCat.MEM, `parcel ${op}`, rmVmid, caller, {
    handle: parcel.handle,
    owner: parcel.owner,
    caller,
    acl: parcel.acl.map((e) => `${e.vmid}:${e.rights}`).join(" "),
    ranges: parcel.sgl.map((r) => `${hex(r.ipa)}+${hex(r.size)}`).join(" "),
  });
}

/**
 * Runs a parcel call and records the parcel it changed: the handle is the reply's for
 * the creating calls and the request's first word for the others (looked up before
 * the call: a reclaim frees it). Failed calls are the RPC trace's to show.
 */
export function traceParcelOp(
  tracer: Tracer,
  rmVmid: number,
  parcels: ParcelTable,
  call: { readonly op: ParcelOp; readonly caller: number; readonly payload: Uint8Array },
  fn: (caller: number, payload: Uint8Array) => Reply,
): Reply {
  const { op, caller, payload } = call;
  const creates = op === "lend" || op === "share" || op === "donate";
  const named = creates ? undefined : MemHandleReply.decode(payload);
  const before = named ? parcels.get(named.handle) : undefined;
  const reply = fn(caller, payload);
  if (reply.error !== RmError.OK) return reply;
  const created = creates && reply.data ? MemHandleReply.decode(reply.data) : undefined;
  const parcel = created ? parcels.get(created.handle) : before;
  if (parcel) traceParcel(tracer, rmVmid, op, caller, parcel);
  return reply;
}
