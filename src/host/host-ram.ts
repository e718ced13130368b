// The host VM's physical RAM allocator. The host's RAM is identity-mapped (IPA == PA,
// ARCHITECTURE.md "Memory"); guest memory and the host's own buffers are carved from
// it in whole pages. First fit over a sorted free list: guest memory is allocated
// rarely and in large pieces.

import { alignUp, isAligned, rangeEnd } from "../lib/checked.js";
import { ok } from "../lib/result.js";
import { fail, type HostResult } from "./errors.js";

export const PAGE_SIZE = 4096;

interface Span {
  base: number;
  size: number;
}

export class HostRamAllocator {
  private free: Span[];

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (!isAligned(base, PAGE_SIZE) || !isAligned(size, PAGE_SIZE) || size <= 0) {
      throw new RangeError("host RAM must be whole pages");
    }
    this.free = [{ base, size }];
  }

  /** Free bytes left. */
  get available(): number {
    return this.free.reduce((n, s) => n + s.size, 0);
  }

  /** Allocates `size` bytes (rounded up to pages); ENOMEM if no span is large enough. */
  allocate(size: number): HostResult<number> {
    const want = Number.isSafeInteger(size) && size > 0 ? alignUp(size, PAGE_SIZE) : undefined;
    if (want === undefined) return fail("EINVAL", `cannot allocate ${size} bytes`);
    const at = this.free.findIndex((s) => s.size >= want);
    const span = this.free[at];
    if (!span) return fail("ENOMEM", `no ${want} contiguous bytes of host RAM left`);
    const base = span.base;
    span.base += want;
    span.size -= want;
    if (span.size === 0) this.free.splice(at, 1);
    return ok(base);
  }

  /** Returns pages; the range must have come from `allocate`. */
  release(base: number, size: number): void {
    const want = alignUp(size, PAGE_SIZE);
    const end = want === undefined ? undefined : rangeEnd(base, want, this.base + this.size);
    if (end === undefined || base < this.base) throw new RangeError("release outside host RAM");
    this.free.push({ base, size: want ?? 0 });
    this.free.sort((a, b) => a.base - b.base);
    const merged: Span[] = [];
    for (const s of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.base + last.size > s.base)
        throw new RangeError("double release of host RAM");
      if (last && last.base + last.size === s.base) last.size += s.size;
      else merged.push({ ...s });
    }
    this.free = merged;
  }
}
