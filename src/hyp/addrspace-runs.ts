// An address space's runs (mapping.ts), ordered by IPA. Run ranges never overlap:
// a map that would reach into a run's range (even over pages gone from it) is kept
// as page entries instead (addrspace.ts), so the run holding a page is found by one
// binary search.

import type { Stage2Run } from "./mapping.js";

/** What one page maps to, wherever it is kept. */
export interface PageMapping {
  readonly owner: Stage2Run["owner"];
  readonly paPage: number;
  readonly access: number;
}

export class RunIndex {
  private readonly runs: Stage2Run[] = [];

  get list(): readonly Stage2Run[] {
    return this.runs;
  }

  /** Pages mapped by all runs. */
  get livePages(): number {
    let n = 0;
    for (const r of this.runs) n += r.live;
    return n;
  }

  /** The index of the last run starting at or before `page`, or -1. */
  private before(page: number): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.runs[mid]!.ipaPage <= page) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The run whose range holds `page` (mapped by it or gone from it). */
  rangeAt(page: number): Stage2Run | undefined {
    const r = this.runs[this.before(page)];
    return r && page < r.ipaPage + r.pages ? r : undefined;
  }

  /** The run mapping `page` now, or undefined. */
  at(page: number): Stage2Run | undefined {
    const r = this.rangeAt(page);
    return r && r.gone[page - r.ipaPage] === 0 ? r : undefined;
  }

  /** True if any run's range meets [first, first + pages). */
  meets(first: number, pages: number): boolean {
    const i = this.before(first + pages - 1);
    const r = this.runs[i];
    return r !== undefined && r.ipaPage + r.pages > first;
  }

  /** True if any run still maps a page of [first, first + pages). */
  mapsAny(first: number, pages: number): boolean {
    for (let i = Math.max(0, this.before(first)); i < this.runs.length; i++) {
      const r = this.runs[i]!;
      if (r.ipaPage >= first + pages) break;
      const from = Math.max(first, r.ipaPage);
      const to = Math.min(first + pages, r.ipaPage + r.pages);
      for (let p = from; p < to; p++) if (r.gone[p - r.ipaPage] === 0) return true;
    }
    return false;
  }

  insert(run: Stage2Run): void {
    this.runs.splice(this.before(run.ipaPage) + 1, 0, run);
  }

  remove(run: Stage2Run): void {
    const i = this.runs.indexOf(run);
    if (i >= 0) this.runs.splice(i, 1);
  }

  clear(): Stage2Run[] {
    return this.runs.splice(0);
  }
}
