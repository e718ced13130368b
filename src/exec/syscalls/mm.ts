// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mlock. They
// edit the AddressSpace, which is the page table the CPU sees through its Stage2Port.

import { PAGE_SIZE } from "../../arch/arm64/index.js";
import { Errno } from "../errno.js";
import { MMAP_BASE } from "../loader.js";
import { PROT_MASK, PROT_READ, PROT_WRITE, USER_PAGE_LIMIT } from "../memory.js";
import type { ProcessState } from "../state.js";
import { int, long, ptr, uint } from "./args.js";
import type { Args } from "./args.js";

const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_SHARED_VALIDATE = 0x03;
const MAP_TYPE = 0x0f;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const MADV_DONTNEED = 4;
/** File mappings are copied in: at most this much of a file is read at once. */
const MAX_FILE_MAP = 1 << 30;

/** A byte length rounded up to pages, or undefined if zero or past user space. */
function pageCount(length: bigint): number | undefined {
  const n = ptr(length);
  if (n === undefined || n === 0) return undefined;
  const pages = Math.ceil(n / PAGE_SIZE);
  return pages <= USER_PAGE_LIMIT ? pages : undefined;
}

/** A page-aligned address as a page number, or undefined. */
function alignedPage(address: bigint): number | undefined {
  const n = ptr(address);
  return n !== undefined && n % PAGE_SIZE === 0 ? n / PAGE_SIZE : undefined;
}

function inUserSpace(page: number, count: number): boolean {
  return page + count <= USER_PAGE_LIMIT;
}

export function sysBrk(p: ProcessState, a: Args): number {
  const want = ptr(a[0]);
  if (want === undefined || want < p.brkStart) return p.brk;
  const oldEnd = Math.ceil(p.brk / PAGE_SIZE);
  const newEnd = Math.ceil(want / PAGE_SIZE);
  if (newEnd > oldEnd) {
    if (!inUserSpace(oldEnd, newEnd - oldEnd) || !p.mem.mappings.isFree(oldEnd, newEnd))
      return p.brk;
    p.mem.mapAnonymous(oldEnd, newEnd - oldEnd, PROT_READ | PROT_WRITE);
  } else if (newEnd < oldEnd) p.mem.unmap(newEnd, oldEnd - newEnd);
  p.brk = want;
  return p.brk;
}

function chooseAddress(
  p: ProcessState,
  hint: number | undefined,
  pages: number,
): number | undefined {
  if (
    hint !== undefined &&
    hint > 0 &&
    inUserSpace(hint, pages) &&
    p.mem.mappings.isFree(hint, hint + pages)
  )
    return hint;
  return p.mem.mappings.findGap(pages, MMAP_BASE / PAGE_SIZE, USER_PAGE_LIMIT);
}

export function sysMmap(p: ProcessState, a: Args): number {
  const pages = pageCount(a[1]);
  const prot = uint(a[2]);
  const flags = uint(a[3]);
  const fd = int(a[4]);
  const offset = ptr(a[5]);
  if (pages === undefined) return ptr(a[1]) === 0 ? -Errno.EINVAL : -Errno.ENOMEM;
  if (offset === undefined || offset % PAGE_SIZE !== 0) return -Errno.EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE)
    return -Errno.EINVAL;
  if (prot & ~PROT_MASK) return -Errno.EINVAL;

  const file = flags & MAP_ANONYMOUS ? undefined : p.files.get(fd);
  if (!(flags & MAP_ANONYMOUS) && !file) return -Errno.EBADF;
  if (file && type !== MAP_PRIVATE && prot & PROT_WRITE) {
    // A shared writable file mapping would need write-back on every store.
    p.warnOnce("mmap-shared", "mmap: shared writable file mappings are not supported (ENODEV)");
    return -Errno.ENODEV;
  }

  let page: number;
  const requested = ptr(a[0]);
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    const fixed = alignedPage(a[0]);
    if (fixed === undefined) return -Errno.EINVAL;
    if (!inUserSpace(fixed, pages)) return -Errno.ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !p.mem.mappings.isFree(fixed, fixed + pages))
      return -Errno.EEXIST;
    page = fixed;
  } else {
    const hint = requested === undefined ? undefined : Math.floor(requested / PAGE_SIZE);
    const chosen = chooseAddress(p, hint, pages);
    if (chosen === undefined) return -Errno.ENOMEM;
    page = chosen;
  }

  let data: Uint8Array | undefined;
  if (file) {
    // Only the part of the file inside the mapping is read (pages past EOF are zero).
    const st = file.stat();
    if (typeof st === "number") return -Errno.ENODEV;
    if (!st.isFile()) return -Errno.ENODEV;
    const available = Math.max(0, Number(st.size) - offset);
    const want = Math.min(pages * PAGE_SIZE, available);
    if (want > MAX_FILE_MAP) return -Errno.ENOMEM;
    data = new Uint8Array(want);
    const n = want === 0 ? 0 : file.read(data, offset);
    if (n < 0) return n;
    data = data.subarray(0, n);
  }
  p.mem.mapAnonymous(page, pages, prot);
  if (data) p.mem.poke(page * PAGE_SIZE, data);
  return page * PAGE_SIZE;
}

export function sysMunmap(p: ProcessState, a: Args): number {
  const page = alignedPage(a[0]);
  const pages = pageCount(a[1]);
  if (page === undefined || pages === undefined || !inUserSpace(page, pages)) return -Errno.EINVAL;
  p.mem.unmap(page, pages);
  return 0;
}

export function sysMprotect(p: ProcessState, a: Args): number {
  const page = alignedPage(a[0]);
  const length = ptr(a[1]);
  const prot = uint(a[2]);
  if (page === undefined || length === undefined) return -Errno.EINVAL;
  // PROT_GROWSDOWN/GROWSUP (0x01000000/0x02000000) only widen the range; ignore them.
  if (prot & ~(PROT_MASK | 0x03000000)) return -Errno.EINVAL;
  if (length === 0) return 0;
  const pages = Math.ceil(length / PAGE_SIZE);
  if (!inUserSpace(page, pages)) return -Errno.ENOMEM;
  const r = p.mem.protect(page, pages, prot & PROT_MASK);
  return r.ok ? 0 : -r.error;
}

export function sysMremap(p: ProcessState, a: Args): number {
  const oldPage = alignedPage(a[0]);
  const oldPages = pageCount(a[1]);
  const newPages = pageCount(a[2]);
  const flags = uint(a[3]);
  if (oldPage === undefined || newPages === undefined) return -Errno.EINVAL;
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | 4)) return -Errno.EINVAL;
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -Errno.EINVAL;
  if (oldPages === undefined) return -Errno.EINVAL; // old_size 0 duplicates shared maps only
  if (!inUserSpace(oldPage, oldPages) || !p.mem.mappings.covers(oldPage, oldPage + oldPages))
    return -Errno.EFAULT;
  const prot = p.mem.protOf(oldPage + oldPages - 1) ?? 0;

  if (!(flags & MREMAP_FIXED)) {
    if (newPages <= oldPages) {
      p.mem.unmap(oldPage + newPages, oldPages - newPages);
      return oldPage * PAGE_SIZE;
    }
    const tail = oldPage + oldPages;
    if (inUserSpace(tail, newPages - oldPages) && p.mem.mappings.isFree(tail, oldPage + newPages)) {
      p.mem.mapAnonymous(tail, newPages - oldPages, prot);
      return oldPage * PAGE_SIZE;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -Errno.ENOMEM;
  }
  let target: number | undefined;
  if (flags & MREMAP_FIXED) {
    target = alignedPage(a[4]);
    if (target === undefined || !inUserSpace(target, newPages)) return -Errno.EINVAL;
    if (target < oldPage + oldPages && oldPage < target + newPages) return -Errno.EINVAL;
  } else target = p.mem.mappings.findGap(newPages, MMAP_BASE / PAGE_SIZE, USER_PAGE_LIMIT);
  if (target === undefined) return -Errno.ENOMEM;
  const keep = Math.min(oldPages, newPages);
  p.mem.unmap(target, newPages);
  p.mem.move(oldPage, target, keep);
  if (oldPages > keep) p.mem.unmap(oldPage + keep, oldPages - keep);
  if (newPages > keep) p.mem.mapAnonymous(target + keep, newPages - keep, prot);
  return target * PAGE_SIZE;
}

export function sysMadvise(p: ProcessState, a: Args): number {
  const page = alignedPage(a[0]);
  const length = ptr(a[1]);
  if (page === undefined || length === undefined) return -Errno.EINVAL;
  const pages = Math.ceil(length / PAGE_SIZE);
  if (int(a[2]) === MADV_DONTNEED) {
    // Private anonymous pages read as zero afterwards (mm/madvise.c): drop them.
    for (let pg = page; pg < page + pages; pg++) {
      const prot = p.mem.protOf(pg);
      if (prot !== undefined) p.mem.mapAnonymous(pg, 1, prot);
    }
  }
  return 0;
}

/** msync, mlock, munlock, mlockall: nothing to do for private in-memory pages. */
export function sysMemNop(_p: ProcessState, a: Args): number {
  return long(a[0]) < 0 ? -Errno.EINVAL : 0;
}
