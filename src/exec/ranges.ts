// The mappings of an address space as a sorted list of disjoint page ranges, each with
// its protection (Linux's VMAs). Page-table entries are created from these lazily, so
// a huge mapping costs nothing until touched and every operation here is
// O(number of mappings), never O(pages).

export interface Vma {
  start: number;
  end: number;
  prot: number;
}

export class VmaList {
  private list: Vma[] = [];

  get all(): readonly Readonly<Vma>[] {
    return this.list;
  }

  /** The mapping holding `page`, by binary search. */
  find(page: number): Readonly<Vma> | undefined {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.list[mid] as Vma;
      if (page < v.start) hi = mid - 1;
      else if (page >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }

  /** Removes [start, end) from every mapping (splitting those that straddle it). */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const out: Vma[] = [];
    for (const v of this.list) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      if (v.start < start) out.push({ start: v.start, end: start, prot: v.prot });
      if (v.end > end) out.push({ start: end, end: v.end, prot: v.prot });
    }
    this.list = out;
  }

  /** Maps [start, end) with `prot`, replacing what was there; merges equal neighbours. */
  insert(start: number, end: number, prot: number): void {
    if (end <= start) return;
    this.remove(start, end);
    this.list.push({ start, end, prot });
    this.list.sort((a, b) => a.start - b.start);
    const merged: Vma[] = [];
    for (const v of this.list) {
      const last = merged[merged.length - 1];
      if (last && last.end === v.start && last.prot === v.prot) last.end = v.end;
      else merged.push({ ...v });
    }
    this.list = merged;
  }

  isFree(start: number, end: number): boolean {
    return this.list.every((v) => v.end <= start || v.start >= end);
  }

  /** True if every page of [start, end) is mapped (by one or several mappings). */
  covers(start: number, end: number): boolean {
    let at = start;
    for (const v of this.list) {
      if (v.end <= at) continue;
      if (v.start > at) return false;
      at = v.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  /** The lowest start >= from of a free run of `count` pages ending at or below `limit`. */
  findGap(count: number, from: number, limit: number): number | undefined {
    let candidate = from;
    for (const v of this.list) {
      if (v.end <= candidate) continue;
      if (v.start >= candidate + count) break;
      candidate = v.end;
    }
    return candidate + count <= limit ? candidate : undefined;
  }
}
