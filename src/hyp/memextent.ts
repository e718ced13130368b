// Memory extents (gunyah-abi.md section 2): ranges of physical memory that can be
// mapped into address spaces. A BASIC extent owns its whole range; a SPARSE extent
// (derived only) starts empty and receives pages by donation. Ownership lives in the
// memory database; each extent keeps the stage-2 entries that map its pages so a
// page that leaves it is unmapped everywhere (and the CPUs invalidated).

import { HypError } from "./abi/errors.js";
import { DonateType, MemextentType } from "./abi/objects.js";
import { checkedAdd, u64ToSafe } from "../lib/checked.js";
import { dropEntries, ExtentMappings, type MappingSpace, type Stage2Entry } from "./mapping.js";
import type { MemDb, OwnerTag } from "./memdb.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import type { Partition } from "./partition.js";
import { PAGE_SIZE, type PhysicalMemory } from "./physmem.js";
import { TraceCat, type Tracer } from "../lib/trace.js";
import { traceDonate } from "./trace-mem.js";

const ATTRS_VALID = 0x7n | (0x3n << 8n) | (0x3n << 16n);

export interface ExtentAttrs {
  readonly access: number;
  readonly memtype: number;
  readonly type: number;
}

export function decodeExtentAttrs(attrs: bigint): ExtentAttrs | undefined {
  if ((attrs & ~ATTRS_VALID) !== 0n) return undefined;
  const type = Number((attrs >> 16n) & 3n);
  if (type !== MemextentType.BASIC && type !== MemextentType.SPARSE) return undefined;
  return { access: Number(attrs & 7n), memtype: Number((attrs >> 8n) & 3n), type };
}

/** A page range checked for alignment, size and overflow; error code otherwise. */
export function pageRange(
  offset: bigint,
  size: bigint,
): { firstPage: number; pages: number } | number {
  const off = u64ToSafe(offset);
  const len = u64ToSafe(size);
  if (off === undefined || len === undefined) return HypError.ADDR_OVERFLOW;
  if (len === 0) return HypError.ARGUMENT_SIZE;
  if (off % PAGE_SIZE !== 0 || len % PAGE_SIZE !== 0) return HypError.ARGUMENT_ALIGNMENT;
  if (checkedAdd(off, len) === undefined) return HypError.ADDR_OVERFLOW;
  return { firstPage: off / PAGE_SIZE, pages: len / PAGE_SIZE };
}

/**
 * An (offset, size) inside an extent, checked in the order of Gunyah's
 * memextent_donate_child/sibling and clean_range: page alignment
 * (ARGUMENT_ALIGNMENT), an offset that overflows the physical address
 * (ARGUMENT_INVALID), a zero or wrapping size (ARGUMENT_SIZE). Whether the range lies
 * inside the extent is the caller's check (ARGUMENT_INVALID).
 */
export function extentOffsetRange(
  offset: bigint,
  size: bigint,
): { firstPage: number; pages: number } | number {
  const page = BigInt(PAGE_SIZE);
  if (offset % page !== 0n || size % page !== 0n) return HypError.ARGUMENT_ALIGNMENT;
  const off = u64ToSafe(offset);
  if (off === undefined) return HypError.ARGUMENT_INVALID;
  const len = u64ToSafe(size);
  if (size === 0n || len === undefined || checkedAdd(off, len) === undefined)
    return HypError.ARGUMENT_SIZE;
  return { firstPage: off / PAGE_SIZE, pages: len / PAGE_SIZE };
}

/**
 * A page this extent holds protected: received by TO_PROTECTED from `donor`, whose
 * mappings of it (`entries`, possibly none) are hidden until FROM_PROTECTED returns it.
 */
interface ProtectedPage {
  readonly donor: Memextent;
  readonly entries: readonly Stage2Entry[];
}

export interface ExtentServices {
  readonly memdb: MemDb;
  readonly physmem: PhysicalMemory;
  /** Present when tracing: ownership changes are recorded (category "mem"). */
  readonly tracer?: Tracer | undefined;
}

export class Memextent extends HypObject {
  /** Physical base and size in pages, valid once configured. */
  basePage = 0;
  pages = 0;
  access = 0;
  memtype = 0;
  extentType: number = MemextentType.BASIC;
  parent: Memextent | undefined;
  private configured = false;
  private tag: OwnerTag | undefined;
  readonly mappings = new ExtentMappings();
  private readonly suspended = new Map<number, ProtectedPage>();

  constructor(
    registry: ObjectRegistry,
    private readonly services: ExtentServices,
    readonly partition: Partition,
  ) {
    super("memextent", registry);
    partition.get();
  }

  get ownerTag(): OwnerTag | undefined {
    return this.tag;
  }

  configure(physBase: bigint, size: bigint, attrs: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    const a = decodeExtentAttrs(attrs);
    if (!a || a.type !== MemextentType.BASIC) return HypError.ARGUMENT_INVALID;
    const r = pageRange(physBase, size);
    if (typeof r === "number") return r;
    if (!this.services.memdb.inRange(r.firstPage, r.pages)) return HypError.ADDR_INVALID;
    this.setConfig(r.firstPage, r.pages, a, undefined);
    return HypError.OK;
  }

  configureDerive(parent: Memextent, offset: bigint, size: bigint, attrs: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    const a = decodeExtentAttrs(attrs);
    if (!a) return HypError.ARGUMENT_INVALID;
    // A child may not grant more than its parent (access is a subset).
    if ((a.access & ~parent.access) !== 0) return HypError.ARGUMENT_INVALID;
    const r = pageRange(offset, size);
    if (typeof r === "number") return r;
    if (r.firstPage + r.pages > parent.pages) return HypError.ARGUMENT_SIZE;
    this.setConfig(parent.basePage + r.firstPage, r.pages, a, parent);
    return HypError.OK;
  }

  private setConfig(basePage: number, pages: number, a: ExtentAttrs, parent?: Memextent): void {
    this.parent?.put();
    this.basePage = basePage;
    this.pages = pages;
    this.access = a.access;
    this.memtype = a.memtype;
    this.extentType = a.type;
    this.parent = parent?.get();
    this.configured = true;
  }

  protected onActivate(): number {
    if (!this.configured) return HypError.OBJECT_CONFIG;
    if (this.parent && !this.parent.isActive) return HypError.OBJECT_STATE;
    const memdb = this.services.memdb;
    const tag = memdb.newOwner(`memextent@${this.basePage.toString(16)}`);
    if (this.extentType === MemextentType.BASIC) {
      const from = this.parent ? this.parent.tag : this.partition.ownerTag;
      if (from === undefined || !memdb.transfer(this.basePage, this.pages, from, tag)) {
        memdb.releaseOwner(tag);
        return HypError.MEMDB_NOT_OWNER;
      }
      // The parent's mappings of the range go: the pages are the child's now.
      if (this.parent) this.parent.unmapPages(this.basePage, this.pages);
    }
    this.tag = tag;
    return HypError.OK;
  }

  protected onDestroy(): void {
    this.unmapAll();
    this.suspended.clear();
    if (this.tag !== undefined) {
      const to = this.parent?.tag ?? this.partition.ownerTag;
      this.services.memdb.transferOwned(this.basePage, this.pages, this.tag, to);
      this.services.memdb.releaseOwner(this.tag);
      this.tag = undefined;
    }
    this.parent?.put();
    this.parent = undefined;
    this.partition.put();
  }

  ownsPages(firstPage: number, pages: number): boolean {
    return this.tag !== undefined && this.services.memdb.ownsAll(firstPage, pages, this.tag);
  }

  containsPages(firstPage: number, pages: number): boolean {
    return firstPage >= this.basePage && firstPage + pages <= this.basePage + this.pages;
  }

  /** Removes every mapping of the given physical pages through this extent. */
  unmapPages(firstPage: number, pages: number): void {
    const touched = new Set<MappingSpace>();
    dropEntries(this.mappings.takeRange(firstPage, pages, touched), touched);
  }

  unmapAll(): void {
    const touched = new Set<MappingSpace>();
    dropEntries(this.mappings.takeAll(touched), touched);
  }

  /** memextent_modify zero: writes zeros over owned pages of the range. */
  zeroPages(firstPage: number, pages: number): void {
    for (let p = firstPage; p < firstPage + pages; p++) this.services.physmem.zeroPage(p);
  }

  /** For stats and tests: pages this extent owns now. */
  get ownedPages(): number {
    return this.tag === undefined ? 0 : this.services.memdb.pagesOwnedBy(this.tag);
  }

  // --- donation ------------------------------------------------------------------

  /**
   * memextent_donate. Offsets are relative to the child for TO_CHILD/TO_PARENT and to
   * `from` for the sibling types. Every page must be owned by `from`
   * (MEMDB_NOT_OWNER otherwise; nothing moves). What happens to mappings:
   * TO_SIBLING (share) keeps them, now accounted to `to`; TO_PROTECTED (lend) hides
   * them until FROM_PROTECTED gives the pages back; the other types unmap them.
   */
  static donate(
    type: number,
    from: Memextent,
    to: Memextent,
    offset: bigint,
    size: bigint,
  ): number {
    const r = extentOffsetRange(offset, size);
    if (typeof r === "number") return r;
    if (from === to) return HypError.ARGUMENT_INVALID;
    let first: number;
    switch (type) {
      case DonateType.TO_CHILD:
        if (to.parent !== from) return HypError.ARGUMENT_INVALID;
        first = to.basePage + r.firstPage;
        break;
      case DonateType.TO_PARENT:
        if (from.parent !== to) return HypError.ARGUMENT_INVALID;
        first = from.basePage + r.firstPage;
        break;
      case DonateType.TO_SIBLING:
      case DonateType.TO_PROTECTED:
      case DonateType.FROM_PROTECTED:
        if (!from.parent || from.parent !== to.parent) return HypError.ARGUMENT_INVALID;
        first = from.basePage + r.firstPage;
        break;
      default:
        return HypError.ARGUMENT_INVALID;
    }
    if (!from.containsPages(first, r.pages) || !to.containsPages(first, r.pages))
      return HypError.ARGUMENT_INVALID;
    if (!from.protectionAllows(type, to, first, r.pages)) return HypError.ARGUMENT_INVALID;
    const fromTag = from.tag;
    const toTag = to.tag;
    if (fromTag === undefined || toTag === undefined) return HypError.OBJECT_STATE;
    if (!from.services.memdb.transfer(first, r.pages, fromTag, toTag))
      return HypError.MEMDB_NOT_OWNER;
    from.moveMappings(type, to, first, r.pages);
    const tracer = from.services.tracer;
    if (tracer?.enabled(TraceCat.MEM)) traceDonate(tracer, type, first, r.pages, fromTag, toTag);
    return HypError.OK;
  }

  /**
   * Protected donation is one way, as the v17 driver uses it (lend = TO_PROTECTED
   * host -> guest, reclaim = FROM_PROTECTED guest -> host): pages held protected leave
   * only by FROM_PROTECTED back to their donor, so TO_PROTECTED in the reverse
   * direction (or passing them on by any other type) would hide the borrower's
   * mappings from it and is refused; FROM_PROTECTED needs every page held protected
   * for `to`. The public hypervisor (hyp/mem/memextent/src/hypercalls.c,
   * hypercall_memextent_donate) knows only TO_CHILD/TO_PARENT/TO_SIBLING and answers
   * any other type ARGUMENT_INVALID, the error used here.
   */
  private protectionAllows(type: number, to: Memextent, first: number, pages: number): boolean {
    for (let p = first; p < first + pages; p++) {
      const held = this.suspended.get(p);
      if (type === DonateType.FROM_PROTECTED ? held?.donor !== to : held !== undefined)
        return false;
    }
    return true;
  }

  private moveMappings(type: number, to: Memextent, first: number, pages: number): void {
    const dropped: Stage2Entry[] = [];
    for (let p = first; p < first + pages; p++) {
      const entries = this.mappings.take(p, type === DonateType.TO_SIBLING);
      if (type === DonateType.TO_SIBLING) {
        for (const e of entries) {
          e.owner = to.mappings;
          to.mappings.add(e);
        }
        continue;
      }
      dropped.push(...entries);
      if (type === DonateType.TO_PROTECTED) to.suspended.set(p, { donor: this, entries });
      if (type === DonateType.FROM_PROTECTED) this.restoreSuspended(p, to);
    }
    dropEntries(dropped);
  }

  /** FROM_PROTECTED: the lender gets back the mappings it had before TO_PROTECTED. */
  private restoreSuspended(page: number, to: Memextent): void {
    const held = this.suspended.get(page);
    if (!held) return;
    this.suspended.delete(page);
    if (held.donor !== to) return;
    for (const entry of held.entries) {
      entry.owner = to.mappings;
      entry.cached = undefined;
      entry.space.restoreEntry(entry);
    }
  }
}
