// The user address space of a `gunyah exec` process: the CPU's Stage2Port (user mode
// has no MMU, so VA == IPA), and the page table that mmap, brk, munmap, mprotect and
// mremap edit. Anonymous pages are allocated on first touch (demand-zero).

import { PAGE_SIZE } from "../arch/arm64/index.js";
import type { Stage2Page, Stage2Port, WasmArena } from "../arch/arm64/index.js";
import { err, ok } from "../lib/result.js";
import type { Result } from "../lib/result.js";
import { Errno } from "./errno.js";
import { PagePool } from "./pages.js";
import type { PageBacking } from "./pages.js";
import { VmaList } from "./ranges.js";

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;

/** Linux arm64 with 4 KiB pages and 48-bit VAs: user addresses are below 2^48. */
export const USER_VA_LIMIT = 2 ** 48;
export const USER_PAGE_LIMIT = USER_VA_LIMIT / PAGE_SIZE;

interface PageSlot {
  prot: number;
  readonly backing: PageBacking;
  /** The Stage2Page handed to the CPU, rebuilt when prot changes. */
  view: Stage2Page | undefined;
}

export interface AddressSpaceOptions {
  /** Resident-set limit in pages (default 512 Ki pages = 2 GiB). */
  readonly maxResidentPages?: number;
}

export class AddressSpace implements Stage2Port {
  /** Touched pages only; the mappings themselves live in `vmas`. */
  private readonly slots = new Map<number, PageSlot>();
  private readonly vmas = new VmaList();
  private readonly pool: PagePool;
  /** Called after any unmap or permission change: the CPU must drop its TLB. */
  onInvalidate: () => void = () => {};

  constructor(options: AddressSpaceOptions = {}) {
    this.pool = new PagePool(options.maxResidentPages ?? 512 * 1024);
  }

  /** The shared wasm memory of the pages (jit/arena.ts). */
  get arena(): WasmArena | undefined {
    return this.pool.arena;
  }

  get residentPages(): number {
    return this.pool.livePages;
  }

  get mappings(): VmaList {
    return this.vmas;
  }

  lookup(page: number): Stage2Page | undefined {
    const slot = this.slot(page);
    if (!slot) return undefined;
    slot.view ??= {
      bytes: slot.backing.bytes,
      offset: slot.backing.offset,
      read: (slot.prot & PROT_READ) !== 0,
      write: (slot.prot & PROT_WRITE) !== 0,
      exec: (slot.prot & PROT_EXEC) !== 0,
    };
    return slot.view;
  }

  /** Maps [page, page + count) as fresh zero pages, replacing whatever was there. */
  mapAnonymous(page: number, count: number, prot: number): void {
    this.dropPages(page, count);
    this.vmas.insert(page, page + count, prot);
  }

  unmap(page: number, count: number): void {
    const had = !this.vmas.isFree(page, page + count);
    this.dropPages(page, count);
    this.vmas.remove(page, page + count);
    if (had) this.onInvalidate();
  }

  /** mprotect: every page must be mapped (Linux answers ENOMEM for holes). */
  protect(page: number, count: number, prot: number): Result<void, number> {
    if (!this.vmas.covers(page, page + count)) return err(Errno.ENOMEM);
    this.vmas.insert(page, page + count, prot);
    this.forTouched(page, count, (_p, slot) => {
      slot.prot = prot;
      slot.view = undefined;
    });
    this.onInvalidate();
    return ok();
  }

  /** Moves the pages of [from, from + count) to `to` (mremap with MREMAP_MAYMOVE). */
  move(from: number, to: number, count: number): void {
    const parts = this.vmas.all
      .filter((v) => v.end > from && v.start < from + count)
      .map((v) => ({
        start: Math.max(v.start, from),
        end: Math.min(v.end, from + count),
        prot: v.prot,
      }));
    const moved: [number, PageSlot][] = [];
    this.forTouched(from, count, (p, slot) => moved.push([p - from + to, slot]));
    for (const [p] of moved) this.slots.delete(p - to + from);
    this.vmas.remove(from, from + count);
    this.unmap(to, count);
    for (const v of parts) this.vmas.insert(v.start - from + to, v.end - from + to, v.prot);
    for (const [p, slot] of moved) this.slots.set(p, slot);
    this.onInvalidate();
  }

  isMapped(page: number): boolean {
    return this.vmas.find(page) !== undefined;
  }

  protOf(page: number): number | undefined {
    return this.vmas.find(page)?.prot;
  }

  /** True if every byte of [address, address + length) is mapped with `need` rights. */
  canAccess(address: number, length: number, need: number): boolean {
    return this.forEachChunk(address, length, need, () => {}, false).ok;
  }

  /** Copies guest bytes out (a syscall reading a user buffer): EFAULT if unreadable. */
  read(address: number, length: number): Result<Uint8Array, number> {
    const out = new Uint8Array(length);
    const r = this.forEachChunk(address, length, PROT_READ, (b, o, done, n) =>
      out.set(b.subarray(o, o + n), done),
    );
    return r.ok ? ok(out) : r;
  }

  /** Copies bytes into guest memory (a syscall filling a user buffer): EFAULT if unwritable. */
  write(address: number, data: Uint8Array): Result<void, number> {
    return this.forEachChunk(address, data.length, PROT_WRITE, (b, o, done, n) =>
      b.set(data.subarray(done, done + n), o),
    );
  }

  /** Writes ignoring page permissions: the loader filling read-only or code pages. */
  poke(address: number, data: Uint8Array): Result<void, number> {
    return this.forEachChunk(address, data.length, 0, (b, o, done, n) =>
      b.set(data.subarray(done, done + n), o),
    );
  }

  /** A NUL-terminated string of at most `max` bytes (without the NUL). */
  readCString(address: number, max = 4096): Result<Uint8Array, number> {
    const parts: number[] = [];
    for (let a = address; parts.length < max; a++) {
      const byte = this.readByte(a);
      if (byte === undefined) return err(Errno.EFAULT);
      if (byte === 0) return ok(Uint8Array.from(parts));
      parts.push(byte);
    }
    return err(Errno.ENAMETOOLONG);
  }

  readU64(address: number): Result<bigint, number> {
    const r = this.read(address, 8);
    if (!r.ok) return r;
    return ok(new DataView(r.value.buffer).getBigUint64(0, true));
  }

  writeU64(address: number, value: bigint): Result<void, number> {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.write(address, b);
  }

  private readByte(address: number): number | undefined {
    const page = this.userPage(address);
    if (page === undefined) return undefined;
    if (((this.protOf(page) ?? 0) & PROT_READ) === 0) return undefined;
    const slot = this.slot(page);
    return slot ? slot.backing.bytes[slot.backing.offset + (address % PAGE_SIZE)] : undefined;
  }

  private userPage(address: number): number | undefined {
    if (!Number.isSafeInteger(address) || address < 0 || address >= USER_VA_LIMIT) return undefined;
    return Math.floor(address / PAGE_SIZE);
  }

  /** The page-table entry of a mapped page, allocating its zeroed backing on first touch. */
  private slot(page: number): PageSlot | undefined {
    const existing = this.slots.get(page);
    if (existing) return existing;
    const vma = this.vmas.find(page);
    if (!vma) return undefined;
    const backing = this.pool.allocate();
    if (!backing) return undefined; // resident-set limit: the access faults
    const slot = { prot: vma.prot, backing, view: undefined };
    this.slots.set(page, slot);
    return slot;
  }

  /** Visits the touched pages of [page, page + count), whichever is cheaper to scan. */
  private forTouched(
    page: number,
    count: number,
    visit: (p: number, slot: PageSlot) => void,
  ): void {
    if (count <= this.slots.size) {
      for (let p = page; p < page + count; p++) {
        const slot = this.slots.get(p);
        if (slot) visit(p, slot);
      }
    } else {
      for (const [p, slot] of [...this.slots]) if (p >= page && p < page + count) visit(p, slot);
    }
  }

  private dropPages(page: number, count: number): void {
    const dropped: number[] = [];
    this.forTouched(page, count, (p, slot) => {
      this.pool.release(slot.backing);
      dropped.push(p);
    });
    for (const p of dropped) this.slots.delete(p);
  }

  private forEachChunk(
    address: number,
    length: number,
    need: number,
    visit: (bytes: Uint8Array, offset: number, done: number, count: number) => void,
    touch = true,
  ): Result<void, number> {
    if (length === 0) return ok();
    const last = address + length - 1;
    if (this.userPage(address) === undefined || this.userPage(last) === undefined)
      return err(Errno.EFAULT);
    // Check the whole range first: a syscall that faults half-way must not have
    // written part of it (read(2) into a buffer that runs off the mapping).
    for (let p = Math.floor(address / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) {
      const prot = this.protOf(p);
      if (prot === undefined || (prot & need) !== need) return err(Errno.EFAULT);
    }
    if (!touch) return ok();
    let done = 0;
    while (done < length) {
      const a = address + done;
      const slot = this.slot(Math.floor(a / PAGE_SIZE));
      if (!slot) return err(Errno.ENOMEM);
      const backing = slot.backing;
      const inPage = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, length - done);
      visit(backing.bytes, backing.offset + inPage, done, n);
      if (slot.prot & PROT_EXEC && need === PROT_WRITE) this.onInvalidate();
      done += n;
    }
    return ok();
  }
}
