// Memory parcels: the RM's record of memory one VM lends, shares or donates to others
// (gunyah-abi.md section 3 "Memory parcels"). This file holds the parcel database and
// the validation rules; mem-calls.ts decodes the RPC messages and moves memory
// through a ParcelMemory (hypercalls).

import { checkedAdd, isAligned, rangesOverlap, u64ToSafe } from "../lib/checked.js";
import { err, ok, type Result } from "../lib/result.js";
import {
  MAX_PARCELS_PER_VM,
  MemRights,
  MemType,
  PAGE_SIZE,
  RmError,
  TransType,
} from "./protocol/index.js";

export interface AclEntryValue {
  readonly vmid: number;
  readonly rights: number;
}
export interface AttrEntryValue {
  readonly attr: number;
  readonly vmid: number;
}
/** A validated range: page aligned, non-empty, inside the safe-integer space. */
export interface Range {
  readonly ipa: number;
  readonly size: number;
}

export interface Parcel {
  readonly handle: number;
  readonly owner: number;
  readonly transType: TransType;
  readonly memType: number;
  readonly label: number;
  readonly sanitize: boolean;
  readonly acl: readonly AclEntryValue[];
  readonly attrs: readonly AttrEntryValue[];
  /** The owner's IPAs. Grows with MEM_APPEND until the END flag. */
  readonly sgl: Range[];
  complete: boolean;
  /** Borrowers that accepted, and where the parcel is mapped in their address space. */
  readonly accepted: Map<number, Range[]>;
  /** Borrowers that accepted and then released (a second release is MEM_RELEASED). */
  readonly released: Set<number>;
  /** Set once a donation has been accepted: the memory now belongs to the recipient. */
  donated: boolean;
  /** Opaque state of the memory mover (extent caps). */
  backing?: unknown;
}

const VALID_RIGHTS: ReadonlySet<number> = new Set([
  MemRights.R,
  MemRights.RX,
  MemRights.RW,
  MemRights.RWX,
]);

/** Checks an ACL against every rule of section 3 (see each check). */
export function validateAcl(
  owner: number,
  transType: TransType,
  memType: number,
  acl: readonly AclEntryValue[],
  vmExists: (vmid: number) => boolean,
): Result<undefined, RmError> {
  if (acl.length === 0) return err(RmError.ARGUMENT_INVALID);
  const seen = new Set<number>();
  for (const e of acl) {
    if (seen.has(e.vmid)) return err(RmError.ARGUMENT_INVALID); // no duplicate VMIDs
    seen.add(e.vmid);
    if (!VALID_RIGHTS.has(e.rights)) return err(RmError.ARGUMENT_INVALID); // R, RX, RW, RWX
    if (memType === MemType.IO && (e.rights & MemRights.X) !== 0)
      return err(RmError.ARGUMENT_INVALID); // no X on IO memory
    if (!vmExists(e.vmid)) return err(RmError.VMID_INVALID);
  }
  // The owner is in the ACL if and only if it is a SHARE (so lending to yourself fails).
  if (seen.has(owner) !== (transType === TransType.SHARE)) return err(RmError.ARGUMENT_INVALID);
  if (transType === TransType.SHARE && acl.length < 2) return err(RmError.ARGUMENT_INVALID);
  // DONATE has exactly one entry, with full rights.
  if (transType === TransType.DONATE && (acl.length !== 1 || acl[0]!.rights !== MemRights.RWX))
    return err(RmError.ARGUMENT_INVALID);
  return ok();
}

export function validateAttrs(
  attrs: readonly AttrEntryValue[],
  acl: readonly AclEntryValue[],
): Result<undefined, RmError> {
  const seen = new Set<number>();
  for (const a of attrs) {
    if (a.attr > 3) return err(RmError.ARGUMENT_INVALID); // normal, device, uncached, cached
    if (!acl.some((e) => e.vmid === a.vmid)) return err(RmError.ARGUMENT_INVALID);
    if (seen.has(a.vmid)) return err(RmError.ARGUMENT_INVALID);
    seen.add(a.vmid);
  }
  return ok();
}

/**
 * Converts raw SGL entries to ranges: page aligned, non-empty, not wrapping, and not
 * overlapping each other (nor `existing`, the ranges already in the parcel).
 */
export function validateSgl(
  raw: readonly { ipa: bigint; size: bigint }[],
  existing: readonly Range[] = [],
): Result<Range[], RmError> {
  const out: Range[] = [];
  for (const e of raw) {
    const ipa = u64ToSafe(e.ipa);
    const size = u64ToSafe(e.size);
    if (ipa === undefined || size === undefined || size === 0) return err(RmError.ARGUMENT_INVALID);
    if (!isAligned(ipa, PAGE_SIZE) || !isAligned(size, PAGE_SIZE))
      return err(RmError.ARGUMENT_INVALID);
    if (checkedAdd(ipa, size) === undefined) return err(RmError.ARGUMENT_INVALID);
    for (const o of [...existing, ...out])
      if (rangesOverlap(ipa, size, o.ipa, o.size)) return err(RmError.ARGUMENT_INVALID);
    out.push({ ipa, size });
  }
  return ok(out);
}

export function totalSize(ranges: readonly Range[]): number {
  return ranges.reduce((n, r) => n + r.size, 0);
}

/** The parcel database: handles, per-owner limits, overlap between parcels. */
export class ParcelTable {
  private readonly parcels = new Map<number, Parcel>();
  private nextHandle = 1;

  get(handle: number): Parcel | undefined {
    return this.parcels.get(handle);
  }

  ownedBy(vmid: number): Parcel[] {
    return [...this.parcels.values()].filter((p) => p.owner === vmid && !p.donated);
  }

  /** Parcels in which `vmid` is a borrower (in the ACL, not the owner). */
  involving(vmid: number): Parcel[] {
    return [...this.parcels.values()].filter(
      (p) => p.owner !== vmid && p.acl.some((e) => e.vmid === vmid),
    );
  }

  get size(): number {
    return this.parcels.size;
  }

  canCreate(owner: number): boolean {
    return this.ownedBy(owner).length < MAX_PARCELS_PER_VM;
  }

  /** True if any of `ranges` overlaps memory already in one of `owner`'s parcels. */
  overlapsExisting(owner: number, ranges: readonly Range[], except?: Parcel): boolean {
    for (const p of this.ownedBy(owner)) {
      if (p === except) continue;
      for (const a of p.sgl)
        for (const b of ranges) if (rangesOverlap(a.ipa, a.size, b.ipa, b.size)) return true;
    }
    return false;
  }

  insert(p: Omit<Parcel, "handle">): Parcel {
    const handle = this.allocateHandle();
    const parcel: Parcel = { ...p, handle };
    this.parcels.set(handle, parcel);
    return parcel;
  }

  delete(handle: number): void {
    this.parcels.delete(handle);
  }

  private allocateHandle(): number {
    // Handles are never 0 or ~0 (MEMPARCEL_INVALID_HANDLE) and not reused while live.
    for (;;) {
      const h = this.nextHandle;
      this.nextHandle = this.nextHandle >= 0xffff_fffe ? 1 : this.nextHandle + 1;
      if (!this.parcels.has(h)) return h;
    }
  }
}
