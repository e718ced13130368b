// The arguments of addrspace_map, addrspace_unmap and addrspace_update_access, checked
// as Gunyah's memextent_map(_partial) checks them, and the VMIDs address spaces claim.

import { HypError } from "./abi/errors.js";
import { MapFlags } from "./abi/objects.js";
import { U64_MAX } from "../lib/checked.js";
import { IPA_LIMIT } from "./addrspace-runs.js";
import type { Memextent } from "./memextent.js";
import { PAGE_SIZE } from "./physmem.js";

/** VMIDs 1..255 (Gunyah's NUM_VMIDS; 0 is reserved for the hypervisor). */
export const MAX_VMID = 255;

/** VMIDs of active address spaces: two may not share one (activation gives BUSY). */
export class VmidSet {
  private readonly used = new Set<number>();
  claim(vmid: number): boolean {
    if (this.used.has(vmid)) return false;
    this.used.add(vmid);
    return true;
  }
  release(vmid: number): void {
    this.used.delete(vmid);
  }
}

/**
 * PRIVATE and VMMIO are hints Linux passes on demand-paged lend and share mappings
 * (gunyah_gmem); they change nothing here: ownership already decides who can see a
 * page, and faults on mapped pages are the guest's.
 */
const MAP_FLAGS_VALID = BigInt(
  MapFlags.PARTIAL | MapFlags.PRIVATE | MapFlags.VMMIO | MapFlags.NOSYNC,
);
/** map's attrs: user and kernel access, memory type. */
export const MAP_ATTRS_VALID = 0x7n | (0x7n << 4n) | (0xffn << 16n);
/** update_access's: the accesses alone. */
export const ACCESS_ATTRS_VALID = 0x7n | (0x7n << 4n);

/** The extent's pages a call names, and the IPA page they go to. */
export interface MapRange {
  readonly firstPage: number;
  readonly pages: number;
  readonly ipa: number;
}

/**
 * The ranges a map/unmap/update_access names, checked in the order of Gunyah's
 * memextent_map(_partial): page alignment of vbase (and offset, size) first
 * (ARGUMENT_ALIGNMENT), then a zero or wrapping size or one past the extent
 * (ARGUMENT_SIZE); an IPA range beyond the address space is ADDR_OVERFLOW.
 * Without PARTIAL the whole extent is named.
 */
export function mapRange(
  extent: Memextent,
  vbase: bigint,
  flags: bigint,
  offset: bigint,
  size: bigint,
): MapRange | number {
  if ((flags & ~MAP_FLAGS_VALID) !== 0n) return HypError.ARGUMENT_INVALID;
  const page = BigInt(PAGE_SIZE);
  if (vbase % page !== 0n) return HypError.ARGUMENT_ALIGNMENT;
  let firstPage = extent.basePage;
  let pages = extent.pages;
  if ((flags & BigInt(MapFlags.PARTIAL)) !== 0n) {
    if (offset % page !== 0n || size % page !== 0n) return HypError.ARGUMENT_ALIGNMENT;
    if (size === 0n || offset + size - 1n > U64_MAX || vbase + size - 1n > U64_MAX)
      return HypError.ARGUMENT_SIZE;
    if (offset + size > BigInt(extent.pages) * page) return HypError.ARGUMENT_SIZE;
    firstPage += Number(offset / page);
    pages = Number(size / page);
  }
  if (vbase + BigInt(pages) * page > BigInt(IPA_LIMIT)) return HypError.ADDR_OVERFLOW;
  return { firstPage, pages, ipa: Number(vbase / page) };
}

/** The access (X 1, W 2, R 4) attrs give: the user (bits 2:0) and kernel (6:4) ones together. */
export function accessOf(attrs: bigint): number {
  return Number((attrs >> 4n) & 7n) | Number(attrs & 7n);
}
