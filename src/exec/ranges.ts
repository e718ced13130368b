// A sorted set of disjoint page ranges [start, end): which virtual pages are taken.
// The address space keeps one beside its page map so that finding a free gap for
// mmap costs O(number of mappings), not O(pages).

export interface PageRange {
  start: number;
  end: number;
}

export class RangeSet {
  private ranges: PageRange[] = [];

  get list(): readonly Readonly<PageRange>[] {
    return this.ranges;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const out: PageRange[] = [];
    let merged = { start, end };
    for (const r of this.ranges) {
      if (r.end < merged.start || r.start > merged.end) out.push(r);
      else merged = { start: Math.min(r.start, merged.start), end: Math.max(r.end, merged.end) };
    }
    out.push(merged);
    out.sort((a, b) => a.start - b.start);
    this.ranges = out;
  }

  remove(start: number, end: number): void {
    if (end <= start) return;
    const out: PageRange[] = [];
    for (const r of this.ranges) {
      if (r.end <= start || r.start >= end) {
        out.push(r);
        continue;
      }
      if (r.start < start) out.push({ start: r.start, end: start });
      if (r.end > end) out.push({ start: end, end: r.end });
    }
    this.ranges = out;
  }

  /** True if no page of [start, end) is in the set. */
  isFree(start: number, end: number): boolean {
    return this.ranges.every((r) => r.end <= start || r.start >= end);
  }

  /** True if every page of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    return this.ranges.some((r) => r.start <= start && r.end >= end);
  }

  /** The lowest start >= from of a free run of `count` pages ending at or below `limit`. */
  findGap(count: number, from: number, limit: number): number | undefined {
    let candidate = from;
    for (const r of this.ranges) {
      if (r.end <= candidate) continue;
      if (r.start >= candidate + count) break;
      candidate = r.end;
    }
    return candidate + count <= limit ? candidate : undefined;
  }
}
