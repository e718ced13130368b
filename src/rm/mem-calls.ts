// MEM_LEND / SHARE / DONATE / APPEND / ACCEPT / RELEASE / RECLAIM / NOTIFY
// (gunyah-abi.md section 3 "Memory parcels"; the public RM's memparcel_msg.h for the
// layouts). Every request is decoded against its schema, every list bounded, and
// every rule checked before any memory moves.

import { err, ok, type Result } from "../lib/result.js";
import {
  AclEntry,
  AttrEntry,
  concatBytes,
  decodeList,
  encodeList,
  MemAcceptFlag,
  MemAcceptHeader,
  MemAcceptReplyHeader,
  MemAppendFlag,
  MemAppendHeader,
  MemCreateFlag,
  MemCreateHeader,
  MemHandleReply,
  MemNotifyFlag,
  MemNotifyHeader,
  MemOwnerNotification,
  MemReleaseFlag,
  MemRecallNotification,
  MemReleaseRequest,
  MemSharedNotification,
  MemType,
  RmError,
  RmNotification,
  SglEntry,
  TransType,
  VmidEntry,
  VmStatus,
} from "./protocol/index.js";
import {
  totalSize,
  validateAcl,
  validateAttrs,
  validateSgl,
  type AclEntryValue,
  type AttrEntryValue,
  type Parcel,
  type ParcelTable,
  type Range,
} from "./memparcel.js";
import type { ParcelMemory } from "./parcel-memory.js";
import { errorReply, okReply, type Reply } from "./reply.js";
import type { VmTable } from "./vm-table.js";

export interface MemCallEnv {
  readonly vms: VmTable;
  readonly parcels: ParcelTable;
  readonly memory: ParcelMemory;
  /** VMs that always exist and run (the host, the RM). */
  isStaticVm(vmid: number): boolean;
  notify(vmid: number, id: number, payload: Uint8Array): void;
  /** Writes zeros over the whole parcel (through a temporary RM mapping). */
  sanitize(parcel: Parcel): boolean;
}

const CREATE_FLAGS = MemCreateFlag.SANITIZE | MemCreateFlag.APPEND;

interface CreateRequest {
  memType: number;
  flags: number;
  label: number;
  acl: AclEntryValue[];
  sgl: { ipa: bigint; size: bigint }[];
  attrs: AttrEntryValue[];
}

function decodeCreate(payload: Uint8Array): Result<CreateRequest, RmError> {
  const head = MemCreateHeader.decode(payload);
  if (!head) return err(RmError.MSG_INVALID);
  const acl = decodeList(AclEntry, payload, MemCreateHeader.size);
  if (!acl.ok) return acl;
  const sgl = decodeList(SglEntry, payload, acl.value.next);
  if (!sgl.ok) return sgl;
  const attrs = decodeList(AttrEntry, payload, sgl.value.next);
  if (!attrs.ok) return attrs;
  if (attrs.value.next !== payload.length) return err(RmError.MSG_INVALID);
  return ok({
    memType: head.memType,
    flags: head.flags,
    label: head.label,
    acl: acl.value.entries,
    sgl: sgl.value.entries,
    attrs: attrs.value.entries,
  });
}

/** MEM_LEND, MEM_SHARE, MEM_DONATE from `owner`. */
export function memCreate(
  env: MemCallEnv,
  owner: number,
  transType: TransType,
  payload: Uint8Array,
): Reply {
  const req = decodeCreate(payload);
  if (!req.ok) return errorReply(req.error);
  const r = req.value;
  if (r.memType !== MemType.NORMAL && r.memType !== MemType.IO)
    return errorReply(RmError.ARGUMENT_INVALID);
  if ((r.flags & ~CREATE_FLAGS) !== 0) return errorReply(RmError.ARGUMENT_INVALID);
  const acl = validateAcl(owner, transType, r.memType, r.acl, (v) => env.vms.get(v) !== undefined);
  if (!acl.ok) return errorReply(acl.error);
  const attrs = validateAttrs(r.attrs, r.acl);
  if (!attrs.ok) return errorReply(attrs.error);
  if (r.sgl.length === 0) return errorReply(RmError.ARGUMENT_INVALID);
  const sgl = validateSgl(r.sgl);
  if (!sgl.ok) return errorReply(sgl.error);
  if (!env.parcels.canCreate(owner)) return errorReply(RmError.DENIED);
  if (!env.memory.ownsRanges(owner, sgl.value)) return errorReply(RmError.MEM_INVALID);
  if (env.parcels.overlapsExisting(owner, sgl.value)) return errorReply(RmError.MEM_INUSE);

  const parcel = env.parcels.insert({
    owner,
    transType,
    memType: r.memType,
    label: r.label,
    sanitize: (r.flags & MemCreateFlag.SANITIZE) !== 0,
    acl: r.acl,
    attrs: r.attrs,
    sgl: sgl.value,
    complete: (r.flags & MemCreateFlag.APPEND) === 0,
    accepted: new Map(),
    released: new Set(),
    donated: false,
  });
  const moved = env.memory.create(parcel);
  if (!moved.ok) {
    env.parcels.delete(parcel.handle);
    return errorReply(moved.error);
  }
  // SANITIZE: the borrower never sees what the owner left there.
  if (parcel.sanitize && parcel.complete && !env.sanitize(parcel)) {
    reclaimParcel(env, parcel);
    return errorReply(RmError.MAP_FAILED);
  }
  return okReply(MemHandleReply.encode({ handle: parcel.handle }));
}

/** MEM_APPEND: more SGL entries for a parcel created with the APPEND flag. */
export function memAppend(env: MemCallEnv, caller: number, payload: Uint8Array): Reply {
  const head = MemAppendHeader.decode(payload);
  if (!head) return errorReply(RmError.MSG_INVALID);
  const list = decodeList(SglEntry, payload, MemAppendHeader.size);
  if (!list.ok) return errorReply(list.error);
  if (list.value.next !== payload.length) return errorReply(RmError.MSG_INVALID);
  if ((head.flags & ~MemAppendFlag.END) !== 0) return errorReply(RmError.ARGUMENT_INVALID);
  const parcel = env.parcels.get(head.handle);
  if (!parcel || parcel.owner !== caller) return errorReply(RmError.HANDLE_INVALID);
  if (parcel.complete) return errorReply(RmError.ARGUMENT_INVALID);
  if (list.value.entries.length === 0 && (head.flags & MemAppendFlag.END) === 0)
    return errorReply(RmError.ARGUMENT_INVALID);
  const sgl = validateSgl(list.value.entries, parcel.sgl);
  if (!sgl.ok) return errorReply(sgl.error);
  if (parcel.sgl.length + sgl.value.length > 512 * 64) return errorReply(RmError.ARGUMENT_INVALID);
  if (!env.memory.ownsRanges(caller, sgl.value)) return errorReply(RmError.MEM_INVALID);
  if (env.parcels.overlapsExisting(caller, sgl.value, parcel)) return errorReply(RmError.MEM_INUSE);
  const moved = env.memory.append(parcel, sgl.value);
  if (!moved.ok) return errorReply(moved.error);
  parcel.sgl.push(...sgl.value);
  if ((head.flags & MemAppendFlag.END) !== 0) {
    parcel.complete = true;
    if (parcel.sanitize && !env.sanitize(parcel)) return errorReply(RmError.MAP_FAILED);
  }
  return okReply();
}

function aclEntryOf(parcel: Parcel, vmid: number): AclEntryValue | undefined {
  return parcel.acl.find((e) => e.vmid === vmid);
}

const ACCEPT_FLAGS =
  MemAcceptFlag.VALIDATE_SANITIZED |
  MemAcceptFlag.VALIDATE_ACL_ATTRS |
  MemAcceptFlag.VALIDATE_LABEL |
  MemAcceptFlag.MAP_OTHER |
  MemAcceptFlag.MAP_CONTIGUOUS |
  MemAcceptFlag.SANITIZE |
  MemAcceptFlag.DONE;

/** MEM_ACCEPT by a borrower: validates what it expects, then maps the parcel. */
export function memAccept(env: MemCallEnv, caller: number, payload: Uint8Array): Reply {
  const head = MemAcceptHeader.decode(payload);
  if (!head) return errorReply(RmError.MSG_INVALID);
  const acl = decodeList(AclEntry, payload, MemAcceptHeader.size);
  if (!acl.ok) return errorReply(acl.error);
  const sgl = decodeList(SglEntry, payload, acl.value.next, { secondIsValue: true });
  if (!sgl.ok) return errorReply(sgl.error);
  const attrs = decodeList(AttrEntry, payload, sgl.value.next);
  if (!attrs.ok) return errorReply(attrs.error);
  if (attrs.value.next !== payload.length) return errorReply(RmError.MSG_INVALID);
  if ((head.flags & ~ACCEPT_FLAGS) !== 0) return errorReply(RmError.ARGUMENT_INVALID);

  const parcel = env.parcels.get(head.handle);
  const mine = parcel ? aclEntryOf(parcel, caller) : undefined;
  if (!parcel || !mine || parcel.owner === caller) return errorReply(RmError.HANDLE_INVALID);
  if (head.memType !== parcel.memType || head.transType !== parcel.transType)
    return errorReply(RmError.ARGUMENT_INVALID);
  if ((head.flags & MemAcceptFlag.DONE) === 0) return errorReply(RmError.DENIED);
  // Accepting on another VM's behalf is the RM's own business, never a client's.
  if (
    (head.flags & MemAcceptFlag.MAP_OTHER) !== 0 ||
    (sgl.value.second !== 0 && sgl.value.second !== caller)
  )
    return errorReply(RmError.DENIED);
  if (!parcel.complete || parcel.donated) return errorReply(RmError.MEM_INVALID);
  if (parcel.accepted.has(caller)) return errorReply(RmError.MEM_INUSE);
  const valid = validateAccept(
    parcel,
    head.flags,
    head.label,
    acl.value.entries,
    attrs.value.entries,
  );
  if (!valid.ok) return errorReply(valid.error);

  let at: Range[] = parcel.sgl;
  if (sgl.value.entries.length > 0) {
    const wanted = validateSgl(sgl.value.entries);
    if (!wanted.ok) return errorReply(wanted.error);
    if (totalSize(wanted.value) !== totalSize(parcel.sgl))
      return errorReply(RmError.ARGUMENT_INVALID);
    at = wanted.value;
  }
  if ((head.flags & MemAcceptFlag.SANITIZE) !== 0 && !env.sanitize(parcel))
    return errorReply(RmError.MAP_FAILED);
  const mapped = env.memory.map(parcel, caller, at, mine.rights);
  if (!mapped.ok) return errorReply(mapped.error);
  parcel.accepted.set(caller, at);
  parcel.released.delete(caller);
  if (parcel.transType === TransType.DONATE) parcel.donated = true;
  const out = encodeList(
    SglEntry,
    at.map((r) => ({ ipa: BigInt(r.ipa), size: BigInt(r.size) })),
  );
  // The reply's list header is {u16 count, u8 flags, u8 0}: same bytes as a list.
  return okReply(
    concatBytes(MemAcceptReplyHeader.encode({ sglCount: at.length, flags: 0 }), out.subarray(4)),
  );
}

function validateAccept(
  parcel: Parcel,
  flags: number,
  label: number,
  acl: readonly AclEntryValue[],
  attrs: readonly AttrEntryValue[],
): Result<undefined, RmError> {
  if ((flags & MemAcceptFlag.VALIDATE_SANITIZED) !== 0 && !parcel.sanitize)
    return err(RmError.VALIDATE_FAILED);
  if ((flags & MemAcceptFlag.VALIDATE_LABEL) !== 0 && label !== parcel.label)
    return err(RmError.VALIDATE_FAILED);
  if ((flags & MemAcceptFlag.VALIDATE_ACL_ATTRS) !== 0) {
    const same =
      acl.length === parcel.acl.length &&
      acl.every((e) => parcel.acl.some((p) => p.vmid === e.vmid && p.rights === e.rights)) &&
      attrs.length === parcel.attrs.length &&
      attrs.every((a) => parcel.attrs.some((p) => p.vmid === a.vmid && p.attr === a.attr));
    if (!same) return err(RmError.VALIDATE_FAILED);
  }
  return ok();
}

/** MEM_RELEASE by a borrower: unmaps the parcel from it. */
export function memRelease(env: MemCallEnv, caller: number, payload: Uint8Array): Reply {
  const req = MemReleaseRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const parcel = env.parcels.get(req.handle);
  if (!parcel || !aclEntryOf(parcel, caller) || parcel.owner === caller)
    return errorReply(RmError.HANDLE_INVALID);
  if (parcel.donated) return errorReply(RmError.DENIED);
  if ((req.flags & ~MemReleaseFlag.SANITIZE) !== 0) return errorReply(RmError.ARGUMENT_INVALID);
  const at = parcel.accepted.get(caller);
  if (!at) return errorReply(RmError.MEM_RELEASED);
  releaseBorrower(env, parcel, caller);
  // Wipe what this borrower wrote before anyone else sees the memory again.
  if ((req.flags & MemReleaseFlag.SANITIZE) !== 0 && !env.sanitize(parcel))
    return errorReply(RmError.MAP_FAILED);
  return okReply();
}

export function releaseBorrower(env: MemCallEnv, parcel: Parcel, vmid: number): void {
  const at = parcel.accepted.get(vmid);
  if (!at) return;
  env.memory.unmap(parcel, vmid, at);
  parcel.accepted.delete(vmid);
  parcel.released.add(vmid);
}

/** A borrower that can no longer touch memory (stopped, failed, being reset). */
function borrowerIsLive(env: MemCallEnv, vmid: number): boolean {
  if (env.isStaticVm(vmid)) return true;
  const s = env.vms.get(vmid)?.status;
  return s === VmStatus.RUNNING || s === VmStatus.PAUSED;
}

/** MEM_RECLAIM by the owner: MEM_INUSE while a live borrower still has it accepted. */
export function memReclaim(env: MemCallEnv, caller: number, payload: Uint8Array): Reply {
  const req = MemReleaseRequest.decodeExact(payload);
  if (!req) return errorReply(RmError.MSG_INVALID);
  const parcel = env.parcels.get(req.handle);
  if (!parcel) return errorReply(RmError.HANDLE_INVALID);
  if (parcel.owner !== caller)
    return errorReply(
      parcel.acl.some((e) => e.vmid === caller) ? RmError.DENIED : RmError.HANDLE_INVALID,
    );
  if (parcel.donated) return errorReply(RmError.DENIED);
  if ((req.flags & ~MemReleaseFlag.SANITIZE) !== 0) return errorReply(RmError.ARGUMENT_INVALID);
  for (const vmid of parcel.accepted.keys())
    if (borrowerIsLive(env, vmid)) return errorReply(RmError.MEM_INUSE);
  for (const vmid of [...parcel.accepted.keys()]) releaseBorrower(env, parcel, vmid);
  if ((req.flags & MemReleaseFlag.SANITIZE) !== 0 && !env.sanitize(parcel))
    return errorReply(RmError.MAP_FAILED);
  reclaimParcel(env, parcel);
  return okReply();
}

/** Unmaps a parcel from every borrower, gives the memory back and forgets it. */
export function reclaimParcel(env: MemCallEnv, parcel: Parcel): void {
  for (const vmid of [...parcel.accepted.keys()]) releaseBorrower(env, parcel, vmid);
  env.memory.release(parcel);
  env.parcels.delete(parcel.handle);
}

/** MEM_NOTIFY: SHARED (owner -> listed borrowers), RELEASED / ACCEPTED (borrower -> owner), RECALL (owner -> borrowers). */
export function memNotify(env: MemCallEnv, caller: number, payload: Uint8Array): Reply {
  const head = MemNotifyHeader.decode(payload);
  if (!head) return errorReply(RmError.MSG_INVALID);
  const parcel = env.parcels.get(head.handle);
  if (!parcel || (parcel.owner !== caller && !aclEntryOf(parcel, caller)))
    return errorReply(RmError.HANDLE_INVALID);
  const tag = head.memInfoTag;
  switch (head.flags) {
    case MemNotifyFlag.SHARED: {
      const list = decodeList(VmidEntry, payload, MemNotifyHeader.size);
      if (!list.ok) return errorReply(list.error);
      if (list.value.next !== payload.length) return errorReply(RmError.MSG_INVALID);
      if (parcel.owner !== caller) return errorReply(RmError.DENIED);
      const targets = list.value.entries.map((e) => e.vmid);
      if (targets.some((v) => v === caller || !aclEntryOf(parcel, v)))
        return errorReply(RmError.ARGUMENT_INVALID);
      for (const v of targets)
        env.notify(v, RmNotification.MEM_SHARED, sharedNotification(parcel, tag));
      return okReply();
    }
    case MemNotifyFlag.RELEASED:
    case MemNotifyFlag.ACCEPTED: {
      if (payload.length !== MemNotifyHeader.size) return errorReply(RmError.MSG_INVALID);
      if (parcel.owner === caller) return errorReply(RmError.DENIED);
      const id =
        head.flags === MemNotifyFlag.RELEASED
          ? RmNotification.MEM_RELEASED
          : RmNotification.MEM_ACCEPTED;
      env.notify(
        parcel.owner,
        id,
        MemOwnerNotification.encode({ handle: parcel.handle, vmid: caller, memInfoTag: tag }),
      );
      return okReply();
    }
    case MemNotifyFlag.RECALL: {
      if (payload.length !== MemNotifyHeader.size) return errorReply(RmError.MSG_INVALID);
      if (parcel.owner !== caller) return errorReply(RmError.DENIED);
      for (const vmid of parcel.accepted.keys())
        env.notify(
          vmid,
          RmNotification.MEM_RECALL,
          MemRecallNotification.encode({ handle: parcel.handle, memInfoTag: tag }),
        );
      return okReply();
    }
    default:
      return errorReply(RmError.ARGUMENT_INVALID);
  }
}

export function sharedNotification(parcel: Parcel, memInfoTag: number): Uint8Array {
  return concatBytes(
    MemSharedNotification.encode({
      handle: parcel.handle,
      memType: parcel.memType,
      transType: parcel.transType,
      flags: 0,
      ownerVmid: parcel.owner,
      label: parcel.label,
      memInfoTag,
    }),
    encodeList(AclEntry, parcel.acl),
    encodeList(
      SglEntry,
      parcel.sgl.map((r) => ({ ipa: BigInt(r.ipa), size: BigInt(r.size) })),
    ),
    encodeList(AttrEntry, parcel.attrs),
  );
}
