// Demand paging (ARCHITECTURE.md "Memory", gunyah-abi.md section 4; Linux v17
// gunyah_vm_provide_folio / reclaim): a guest's first access to a bound page gives it
// the page. Lent pages move host-private -> guest-private (memextent_donate
// TO_PROTECTED) and are mapped RWX (as the binding allows); shared pages move
// host-shared -> guest-shared (TO_SIBLING) and are mapped RW. Reclaim unmaps, then
// donates back (FROM_PROTECTED / TO_SIBLING). The four extents and the address space
// are resources the RM hands over at VM start, claimed here through tickets.

import { DonateType, MapFlags, mappingAttrs } from "../hyp/abi/index.js";
import { ok } from "../lib/result.js";
import { HypResourceType, MemExtentLabel } from "../rm/protocol/index.js";
import { fail, type HostResult } from "./errors.js";
import type { Binding } from "./bindings.js";
import { bindingAccess } from "./bindings.js";
import { PAGE_SIZE } from "./host-ram.js";
import type { HostHypercalls } from "./hypercalls.js";
import type { HostResource, ResourceTicket, TicketRegistry } from "./resources.js";

/** Normal memory, inner and outer write-back (Linux ARCH_GUNYAH_DEFAULT_MEMTYPE). */
export const DEFAULT_MEMTYPE = 0xff;

/** addrspace_map attributes: user and kernel access from the binding, normal memory. */
export function mapAttrs(access: number): bigint {
  return mappingAttrs(access, DEFAULT_MEMTYPE);
}

const PARTIAL = BigInt(MapFlags.PARTIAL);
const PRIVATE = BigInt(MapFlags.PRIVATE);

interface PagedIn {
  readonly pa: number;
  readonly share: boolean;
  readonly binding: Binding;
}

type Slot = "addrspace" | "guestPrivate" | "hostShared" | "hostPrivate" | "guestShared";

const TICKETS: ReadonlyArray<readonly [Slot, number, number]> = [
  ["addrspace", HypResourceType.ADDR_SPACE, 0],
  ["guestPrivate", HypResourceType.MEM_EXTENT, MemExtentLabel.GUEST_PRIVATE],
  ["hostShared", HypResourceType.MEM_EXTENT, MemExtentLabel.HOST_SHARED],
  ["hostPrivate", HypResourceType.MEM_EXTENT, MemExtentLabel.HOST_PRIVATE],
  ["guestShared", HypResourceType.MEM_EXTENT, MemExtentLabel.GUEST_SHARED],
];

export class DemandPager {
  private readonly caps = new Map<Slot, bigint>();
  private readonly pages = new Map<number, PagedIn>();
  /** Pages owned by an RPC parcel (the DTB): never demand-paged. */
  private readonly parcelPages = new Set<number>();
  private readonly tickets: ResourceTicket[] = [];

  constructor(
    private readonly hyp: HostHypercalls,
    /** Host RAM base: extent offsets are PA - base (ARCHITECTURE.md "Memory"). */
    private readonly ramBase: number,
  ) {}

  /** Claims the address space and the four extents (done when the VM is created). */
  registerTickets(registry: TicketRegistry): HostResult<void> {
    for (const [slot, type, label] of TICKETS) {
      const ticket: ResourceTicket = {
        type,
        label,
        populate: (r: HostResource) => {
          if (this.caps.has(slot)) return false;
          this.caps.set(slot, r.capId);
          return true;
        },
        unpopulate: (r: HostResource) => {
          if (this.caps.get(slot) === r.capId) this.caps.delete(slot);
        },
      };
      const added = registry.add(ticket);
      if (!added.ok) {
        this.unregisterTickets(registry);
        return added;
      }
      this.tickets.push(ticket);
    }
    return ok(undefined);
  }

  unregisterTickets(registry: TicketRegistry): void {
    for (const t of this.tickets.splice(0)) registry.remove(t);
  }

  get pagedIn(): number {
    return this.pages.size;
  }

  /** Pages given to the guest so far by demand paging: lent (host access removed) and shared. */
  pageCounts(): { lent: number; shared: number } {
    let shared = 0;
    for (const page of this.pages.values()) if (page.share) shared++;
    return { lent: this.pages.size - shared, shared };
  }

  isPagedIn(gpa: number): boolean {
    return this.pages.has(Math.floor(gpa / PAGE_SIZE));
  }

  /** Marks guest pages given away by an RPC parcel. */
  setParcelPages(gpa: number, size: number, owned: boolean): void {
    for (let at = gpa; at < gpa + size; at += PAGE_SIZE) {
      if (owned) this.parcelPages.add(at / PAGE_SIZE);
      else this.parcelPages.delete(at / PAGE_SIZE);
    }
  }

  /**
   * Gives the guest the page at `gpa` from `binding`. EAGAIN if it is already there
   * (another vCPU won the race), ENODEV before the VM's resources arrived.
   */
  provide(gpa: number, binding: Binding): HostResult<void> {
    const gfn = Math.floor(gpa / PAGE_SIZE);
    if (this.pages.has(gfn)) return fail("EAGAIN", "page already provided");
    if (this.parcelPages.has(gfn)) return fail("EFAULT", "page belongs to a memory parcel");
    const caps = this.extents(binding.lend);
    if (!caps) return fail("ENODEV", "the VM's memory resources are not available");
    const pa = binding.mem.physBase + binding.offset + (gfn * PAGE_SIZE - binding.gpa);
    const offset = BigInt(pa - this.ramBase);
    const size = BigInt(PAGE_SIZE);
    const donated = this.hyp.memextentDonate({
      options: BigInt(binding.lend ? DonateType.TO_PROTECTED : DonateType.TO_SIBLING),
      from: caps.host,
      to: caps.guest,
      offset,
      size,
    });
    if (!donated.ok) return donated;
    const mapped = this.hyp.addrspaceMap({
      addrspace: caps.addrspace,
      extent: caps.guest,
      vbase: BigInt(gfn * PAGE_SIZE),
      attrs: mapAttrs(bindingAccess(binding)),
      flags: PARTIAL | (binding.lend ? PRIVATE : 0n),
      offset,
      size,
    });
    if (!mapped.ok) {
      this.donateBack(caps, binding.lend, offset);
      return mapped;
    }
    binding.mem.markDirty(pa - binding.mem.physBase, PAGE_SIZE);
    this.pages.set(gfn, { pa, share: !binding.lend, binding });
    return ok(undefined);
  }

  /** Takes back every provided page in [gpa, gpa + size); reports the first failure. */
  reclaimRange(gpa: number, size: number): HostResult<void> {
    let first: HostResult<void> = ok(undefined);
    for (const [gfn, page] of [...this.pages]) {
      const at = gfn * PAGE_SIZE;
      if (at < gpa || at >= gpa + size) continue;
      const r = this.reclaimPage(gfn, page);
      if (!r.ok && first.ok) first = r;
    }
    return first;
  }

  reclaimAll(): HostResult<void> {
    return this.reclaimRange(0, Number.MAX_SAFE_INTEGER);
  }

  private reclaimPage(gfn: number, page: PagedIn): HostResult<void> {
    const caps = this.extents(!page.share);
    if (!caps) return fail("ENODEV", "the VM's memory resources are gone");
    const offset = BigInt(page.pa - this.ramBase);
    const unmapped = this.hyp.addrspaceUnmap({
      addrspace: caps.addrspace,
      extent: caps.guest,
      vbase: BigInt(gfn * PAGE_SIZE),
      flags: PARTIAL | (page.share ? 0n : PRIVATE),
      offset,
      size: BigInt(PAGE_SIZE),
    });
    if (!unmapped.ok) return unmapped;
    const back = this.donateBack(caps, !page.share, offset);
    if (!back.ok) return back;
    this.pages.delete(gfn);
    return ok(undefined);
  }

  private donateBack(
    caps: { host: bigint; guest: bigint },
    lend: boolean,
    offset: bigint,
  ): HostResult<void> {
    return this.hyp.memextentDonate({
      options: BigInt(lend ? DonateType.FROM_PROTECTED : DonateType.TO_SIBLING),
      from: caps.guest,
      to: caps.host,
      offset,
      size: BigInt(PAGE_SIZE),
    });
  }

  private extents(lend: boolean): { addrspace: bigint; host: bigint; guest: bigint } | undefined {
    const addrspace = this.caps.get("addrspace");
    const host = this.caps.get(lend ? "hostPrivate" : "hostShared");
    const guest = this.caps.get(lend ? "guestPrivate" : "guestShared");
    if (addrspace === undefined || host === undefined || guest === undefined) return undefined;
    return { addrspace, host, guest };
  }
}
