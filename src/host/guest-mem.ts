// Guest memory (v17 GUNYAH_CREATE_GUEST_MEM): pages of the host's RAM that the VMM
// fills (kernel, DTB) and then maps into a VM. Before a page is given to a guest the
// host reads and writes it freely; once it is lent, the hypervisor removes it from the
// host's stage 2 and host access fails with EFAULT, like touching an unmapped direct
// map. Shared pages stay accessible.

import type { NativeMemory } from "../hyp/abi/index.js";
import { isAligned, rangeEnd } from "../lib/checked.js";
import { ok } from "../lib/result.js";
import { fail, type HostResult } from "./errors.js";
import { PAGE_SIZE, type HostRamAllocator } from "./host-ram.js";
import { RefCount } from "./refcount.js";

/** CREATE_GUEST_MEM flags (v17: GHMF_CLOEXEC, GHMF_ALLOW_HUGEPAGE). */
export const GuestMemFlag = { CLOEXEC: 1, ALLOW_HUGEPAGE: 2 } as const;
const KNOWN_FLAGS = GuestMemFlag.CLOEXEC | GuestMemFlag.ALLOW_HUGEPAGE;

export interface GuestMemOptions {
  readonly size: number;
  readonly flags?: number;
}

/** Internal: what bindings and the demand pager need from a guest memory object. */
export interface GuestMemBacking {
  readonly id: number;
  readonly size: number;
  /** Host physical address of offset 0. */
  readonly physBase: number;
  /** Marks pages the guest may have written, so they are scrubbed before reuse. */
  markDirty(offset: number, size: number): void;
  /** Takes a reference (a binding holds one, like fget on the guest_memfd). */
  retain(): boolean;
  releaseRef(): void;
}

let nextId = 1;

export class GuestMem implements GuestMemBacking {
  readonly id = nextId++;
  readonly size: number;
  readonly physBase: number;
  readonly flags: number;
  private readonly refs: RefCount;
  private closed = false;
  private readonly dirty = new Set<number>();

  /** @internal Use `device.createGuestMem`. */
  constructor(
    private readonly memory: NativeMemory,
    private readonly allocator: HostRamAllocator,
    physBase: number,
    size: number,
    flags: number,
  ) {
    this.physBase = physBase;
    this.size = size;
    this.flags = flags;
    this.refs = new RefCount(() => this.free());
  }

  /** Validates options and allocates the pages. */
  static create(
    memory: NativeMemory,
    allocator: HostRamAllocator,
    options: GuestMemOptions,
  ): HostResult<GuestMem> {
    const flags = options.flags ?? 0;
    if ((flags & ~KNOWN_FLAGS) !== 0)
      return fail("EINVAL", `unknown guest memory flags 0x${flags.toString(16)}`);
    const { size } = options;
    if (!Number.isSafeInteger(size) || size <= 0 || !isAligned(size, PAGE_SIZE)) {
      return fail("EINVAL", `guest memory size ${size} is not a positive multiple of ${PAGE_SIZE}`);
    }
    const base = allocator.allocate(size);
    if (!base.ok) return base;
    return ok(new GuestMem(memory, allocator, base.value, size, flags));
  }

  /** Reads host-accessible bytes; EFAULT if any page is lent to a guest. */
  read(offset: number, length: number): HostResult<Uint8Array> {
    const range = this.check(offset, length);
    if (!range.ok) return range;
    const r = this.memory.read(this.physBase + offset, length);
    if (!r.ok)
      return fail(
        "EFAULT",
        `guest memory [0x${offset.toString(16)}, +0x${length.toString(16)}) is not accessible to the host (lent to a guest)`,
        { hypError: r.error },
      );
    return ok(r.value.slice());
  }

  /** Writes bytes; EFAULT if any page is lent to a guest. */
  write(offset: number, data: Uint8Array): HostResult<void> {
    const range = this.check(offset, data.length);
    if (!range.ok) return range;
    const r = this.memory.write(this.physBase + offset, data);
    if (!r.ok)
      return fail(
        "EFAULT",
        `guest memory [0x${offset.toString(16)}, +0x${data.length.toString(16)}) is not accessible to the host (lent to a guest)`,
        { hypError: r.error },
      );
    this.markDirty(offset, data.length);
    return ok(undefined);
  }

  markDirty(offset: number, size: number): void {
    const first = Math.floor(offset / PAGE_SIZE);
    const last = Math.floor((offset + size - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) this.dirty.add(p);
  }

  retain(): boolean {
    return this.refs.tryGet();
  }

  releaseRef(): void {
    this.refs.put();
  }

  /** Drops the caller's handle; the pages are freed once no VM binding uses them. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.refs.put();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private check(offset: number, length: number): HostResult<void> {
    if (this.closed) return fail("EBADF", "guest memory handle is closed");
    if (
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      !Number.isSafeInteger(length) ||
      length < 0
    ) {
      return fail("EINVAL", "bad guest memory offset or length");
    }
    if (length === 0) return ok(undefined);
    if (rangeEnd(offset, length, this.size) === undefined) {
      return fail(
        "EINVAL",
        `[0x${offset.toString(16)}, +0x${length.toString(16)}) is outside guest memory of 0x${this.size.toString(16)} bytes`,
      );
    }
    return ok(undefined);
  }

  /** Scrubs what a guest or the VMM may have written, then returns the pages. */
  private free(): void {
    const zero = new Uint8Array(PAGE_SIZE);
    for (const page of this.dirty) {
      const r = this.memory.write(this.physBase + page * PAGE_SIZE, zero);
      // A page still lent away cannot be scrubbed or reused: leak it rather than hand
      // another VM memory the host does not own.
      if (!r.ok) return;
    }
    this.allocator.release(this.physBase, this.size);
  }
}
