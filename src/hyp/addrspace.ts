// Address spaces: a VM's stage-2 translation (IPA page -> physical page + access),
// the VMMIO ranges whose accesses become vcpu_run exits, and the CPUs to invalidate
// when a mapping changes (gunyah-abi.md section 2, "Address space"). Every page is
// mapped through a memory extent that owns it, and only while it owns it. The IPA map
// itself is addrspace-runs.ts, the calls' argument checks and the VMIDs
// addrspace-args.ts, the VMMIO ranges addrspace-vmmio.ts.

import { HypError } from "./abi/errors.js";
import { err, ok, type Result } from "../lib/result.js";
import type { Stage2Page, Stage2Port, WasmArena } from "./cpu.js";
import {
  RUN_MIN_PAGES,
  leaveRun,
  newRun,
  type MappingSpace,
  type Stage2Entry,
  type Stage2Run,
} from "./mapping.js";
import {
  ACCESS_ATTRS_VALID,
  MAP_ATTRS_VALID,
  MAX_VMID,
  accessOf,
  mapRange,
  type VmidSet,
} from "./addrspace-args.js";
import { IPA_LIMIT, Stage2Table } from "./addrspace-runs.js";
import { VmmioRanges, type VmmioRange } from "./addrspace-vmmio.js";
import { pageRange, type Memextent } from "./memextent.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import { PAGE_SIZE, type PhysicalMemory } from "./physmem.js";
import type { Vrtc } from "./vrtc.js";

export { IPA_LIMIT };
export { MAX_VMID, VmidSet } from "./addrspace-args.js";
export { VMMIO_MAX_RANGES } from "./addrspace-vmmio.js";

export interface Invalidatable {
  invalidateStage2(): void;
  invalidateTlb?(page?: { readonly lo: number; readonly hi: number }): void;
}

export interface MappingInfo {
  readonly offset: bigint;
  readonly size: bigint;
  readonly attrs: bigint;
}

export class Addrspace extends HypObject implements MappingSpace, Stage2Port {
  vmid: number | undefined;
  private readonly table = new Stage2Table();
  private readonly entries = this.table.entries;
  private readonly runs = this.table.runs;
  private readonly vmmio = new VmmioRanges();
  private readonly cpus = new Set<Invalidatable>();

  private vmidClaimed = false;
  /** The VM's vRTC (vrtc_attach_addrspace), holding a reference to it. */
  private vrtcRef: Vrtc | undefined;

  constructor(
    registry: ObjectRegistry,
    private readonly physmem: PhysicalMemory,
    private readonly vmids: VmidSet,
  ) {
    super("addrspace", registry);
  }

  configure(vmid: bigint): number {
    const e = this.requireInit();
    if (e !== HypError.OK) return e;
    if (vmid < 1n || vmid > BigInt(MAX_VMID)) return HypError.ARGUMENT_INVALID;
    this.vmid = Number(vmid);
    return HypError.OK;
  }

  protected onActivate(): number {
    if (this.vmid === undefined) return HypError.OBJECT_CONFIG;
    if (!this.vmids.claim(this.vmid)) return HypError.BUSY;
    this.vmidClaimed = true;
    return HypError.OK;
  }

  protected onDestroy(): void {
    this.vrtcRef?.put();
    this.vrtcRef = undefined;
    if (this.vmidClaimed && this.vmid !== undefined) this.vmids.release(this.vmid);
    for (const e of this.entries.values()) e.owner.remove(e);
    this.entries.clear();
    for (const run of this.runs.clear()) run.owner.removeRun(run);
    this.vmmio.clear();
    this.syncCpus();
    this.cpus.clear();
  }

  get vrtc(): Vrtc | undefined {
    return this.vrtcRef;
  }

  /**
   * vrtc_attach_addrspace's part (hyp/vm/vrtc_pl031/src/hypercalls.c): an ACTIVE
   * address space (else OBJECT_STATE) whose IPA range holds the vRTC's page
   * (addrspace_check_range); a vRTC attached before is replaced.
   */
  attachVrtc(vrtc: Vrtc, ipa: number, size: number): number {
    if (!this.isActive) return HypError.OBJECT_STATE;
    if (ipa >= IPA_LIMIT) return HypError.ADDR_INVALID;
    if (ipa + size - 1 >= IPA_LIMIT) return HypError.ARGUMENT_SIZE;
    this.vrtcRef?.put();
    this.vrtcRef = vrtc.get();
    return HypError.OK;
  }

  get mappedPages(): number {
    return this.entries.size + this.runs.livePages;
  }

  /** Mappings kept as runs (for tests and stats). */
  get runCount(): number {
    return this.runs.list.length;
  }

  get vmmioRanges(): readonly VmmioRange[] {
    return this.vmmio.list;
  }

  attachCpu(cpu: Invalidatable): void {
    this.cpus.add(cpu);
  }

  detachCpu(cpu: Invalidatable): void {
    this.cpus.delete(cpu);
  }

  // --- MappingSpace -----------------------------------------------------------------

  dropEntry(entry: Stage2Entry): void {
    if (this.entries.get(entry.ipaPage) === entry) this.entries.delete(entry.ipaPage);
  }

  restoreEntry(entry: Stage2Entry): boolean {
    const ipa = entry.ipaPage;
    if (!this.isActive || this.entries.has(ipa) || this.runs.at(ipa)) return false;
    // A new mapping: nothing to invalidate (see map()).
    if (this.table.rejoin(entry)) return true;
    this.entries.set(ipa, entry);
    entry.owner.add(entry);
    return true;
  }

  adoptEntry(entry: Stage2Entry): void {
    this.entries.set(entry.ipaPage, entry);
  }

  forgetRun(run: Stage2Run): void {
    this.runs.remove(run);
  }

  syncCpus(): void {
    for (const cpu of this.cpus) cpu.invalidateStage2();
  }

  /**
   * The vCPUs attached here are one inner-shareable domain (the CPU's tlbBroadcast):
   * a broadcast TLBI on one drops the same stage-1 entries on the others.
   */
  invalidateOthers(from: object, page?: { readonly lo: number; readonly hi: number }): void {
    for (const cpu of this.cpus) if (cpu !== from) cpu.invalidateTlb?.(page);
  }

  // --- Stage2Port ---------------------------------------------------------------------

  /** The shared wasm memory of the RAM pages this port hands out (jit/arena.ts). */
  get arena(): WasmArena | undefined {
    return this.physmem.arena;
  }

  lookup(ipaPage: number): Stage2Page | undefined {
    const e = this.table.entryAt(ipaPage);
    if (!e) return undefined;
    if (!e.cached) {
      const b = this.physmem.pageBacking(e.paPage);
      e.cached = {
        bytes: b.bytes,
        offset: b.offset,
        read: (e.access & 4) !== 0,
        write: (e.access & 2) !== 0,
        exec: (e.access & 1) !== 0,
      };
    }
    return e.cached;
  }

  // --- hypercalls ---------------------------------------------------------------------

  map(
    extent: Memextent,
    vbase: bigint,
    attrs: bigint,
    flags: bigint,
    offset: bigint,
    size: bigint,
  ): number {
    if ((attrs & ~MAP_ATTRS_VALID) !== 0n) return HypError.ARGUMENT_INVALID;
    const r = mapRange(extent, vbase, flags, offset, size);
    if (typeof r === "number") return r;
    // Neither the user nor the kernel access may exceed the extent's.
    const access = accessOf(attrs);
    if ((access & ~extent.access) !== 0) return HypError.ARGUMENT_INVALID;
    const ipa = r.ipa;
    if (this.table.anyMapped(ipa, r.pages)) return HypError.EXISTING_MAPPING;
    if (!extent.ownsPages(r.firstPage, r.pages)) return HypError.MEMDB_NOT_OWNER;
    // Every check is done: from here nothing can fail, so nothing needs rolling back.
    if (r.pages >= RUN_MIN_PAGES && !this.runs.meets(ipa, r.pages)) {
      const run = newRun(this, ipa, r.firstPage, r.pages, access, extent.mappings);
      this.runs.insert(run);
      extent.mappings.addRun(run);
      return HypError.OK;
    }
    for (let i = 0; i < r.pages; i++) {
      const entry: Stage2Entry = {
        space: this,
        ipaPage: ipa + i,
        paPage: r.firstPage + i,
        access,
        owner: extent.mappings,
        cached: undefined,
      };
      this.entries.set(entry.ipaPage, entry);
      extent.mappings.add(entry);
    }
    // Nothing to invalidate: a CPU caches only translations that succeeded (its TLB and
    // Stage2Port cache never record a miss), so no CPU holds anything about pages that
    // were unmapped until now. Demand paging maps one page per fault; flushing every
    // TLB entry and decoded page each time made the guest re-walk and re-decode its
    // working set after every fault. Unmap and access changes still invalidate.
    return HypError.OK;
  }

  /**
   * The pages of [ipa, ipa+pages) that map `extent` at the expected physical pages.
   * Unmap passes `requireAll` false: like Gunyah's pgtable_vm_unmap_matching it
   * skips pages that are unmapped or map something else.
   */
  private ownedPages(
    extent: Memextent,
    ipa: number,
    r: { firstPage: number; pages: number },
    requireAll: boolean,
  ): number[] | number {
    const out: number[] = [];
    for (let i = 0; i < r.pages; i++) {
      const m = this.table.pageAt(ipa + i);
      const matches =
        m !== undefined && m.owner === extent.mappings && m.paPage === r.firstPage + i;
      if (matches) out.push(ipa + i);
      else if (requireAll) return m ? HypError.ARGUMENT_INVALID : HypError.ADDR_INVALID;
    }
    return out;
  }

  unmap(extent: Memextent, vbase: bigint, flags: bigint, offset: bigint, size: bigint): number {
    const r = mapRange(extent, vbase, flags, offset, size);
    if (typeof r === "number") return r;
    const found = this.ownedPages(extent, r.ipa, r, false);
    if (typeof found === "number") return found;
    for (const page of found) {
      const e = this.entries.get(page);
      if (e) {
        this.entries.delete(page);
        extent.mappings.remove(e);
        continue;
      }
      const run = this.runs.at(page);
      if (run) leaveRun(run, page - run.ipaPage);
    }
    this.syncCpus();
    return HypError.OK;
  }

  updateAccess(
    extent: Memextent,
    vbase: bigint,
    accessAttrs: bigint,
    flags: bigint,
    offset: bigint,
    size: bigint,
  ): number {
    if ((accessAttrs & ~ACCESS_ATTRS_VALID) !== 0n) return HypError.ARGUMENT_INVALID;
    const access = accessOf(accessAttrs);
    if ((access & ~extent.access) !== 0) return HypError.ARGUMENT_INVALID;
    const r = mapRange(extent, vbase, flags, offset, size);
    if (typeof r === "number") return r;
    const found = this.ownedPages(extent, r.ipa, r, true);
    if (typeof found === "number") return found;
    for (const page of found) {
      const e = this.table.entryAt(page)!;
      e.access = access;
      e.cached = undefined;
    }
    this.syncCpus();
    return HypError.OK;
  }

  /** addrspace_lookup: where `vbase` maps into `extent`, and for how long contiguously. */
  lookupMapping(extent: Memextent, vbase: bigint, size: bigint): Result<MappingInfo, number> {
    const r = pageRange(vbase, size);
    if (typeof r === "number") return err(r);
    const first = this.table.pageAt(r.firstPage);
    if (!first || first.owner !== extent.mappings) return err(HypError.ADDR_INVALID);
    const n = this.table.span(r.firstPage, first, r.pages);
    const attrs =
      BigInt(first.access) | (BigInt(first.access) << 4n) | (BigInt(extent.memtype) << 16n);
    return ok({
      offset: BigInt((first.paPage - extent.basePage) * PAGE_SIZE),
      size: BigInt(n * PAGE_SIZE),
      attrs,
    });
  }

  /** addrspace_configure_vmmio ADD (addrspace-vmmio.ts). */
  addVmmio(base: bigint, size: bigint): number {
    return this.vmmio.add(base, size);
  }

  /** addrspace_configure_vmmio REMOVE: the exact range that was added. */
  removeVmmio(base: bigint, size: bigint): number {
    return this.vmmio.remove(base, size);
  }

  isVmmio(ipa: number): boolean {
    return this.vmmio.contains(ipa);
  }

  // --- checked access for native VMs and hypercall buffers ---------------------------------

  read(ipa: number, length: number): Result<Uint8Array, number> {
    const out = new Uint8Array(length);
    const e = this.table.walk(ipa, length, 4, (pa, offset, count, done) => {
      out.set(this.physmem.readPage(pa, offset, count), done);
    });
    return e === HypError.OK ? ok(out) : err(e);
  }

  write(ipa: number, data: Uint8Array): Result<undefined, number> {
    const e = this.table.walk(ipa, data.length, 2, (pa, offset, count, done) => {
      this.physmem.writePage(pa, offset, data.subarray(done, done + count));
    });
    return e === HypError.OK ? ok() : err(e);
  }
}
