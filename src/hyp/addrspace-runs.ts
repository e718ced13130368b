// An address space's runs (mapping.ts), ordered by IPA. Run ranges never overlap:
// a map that would reach into a run's range (even over pages gone from it) is kept
// as page entries instead (addrspace.ts), so the run holding a page is found by one
// binary search. Stage2Table is an address space's whole IPA map: page entries plus
// runs, and the questions every address space operation asks of it.

import { HypError } from "./abi/errors.js";
import { checkedAdd } from "../lib/checked.js";
import { carve, type Stage2Entry, type Stage2Run } from "./mapping.js";
import { PAGE_SIZE } from "./physmem.js";

/** IPAs are limited to 44 bits (16 TiB), a stage-2 input size every v8 core supports. */
export const IPA_LIMIT = 2 ** 44;

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

export class Stage2Table {
  readonly entries = new Map<number, Stage2Entry>();
  /** Long mappings (mapping.ts); their pages are never also in `entries`. */
  readonly runs = new RunIndex();

  /** What `page` maps to (an entry or a run's page), without carving it. */
  pageAt(page: number): PageMapping | undefined {
    const e = this.entries.get(page);
    if (e) return e;
    const r = this.runs.at(page);
    if (!r) return undefined;
    return { owner: r.owner, paPage: r.paPage + (page - r.ipaPage), access: r.access };
  }

  /** The access of `page`, -1 if unmapped (no allocation: native VMs' every access). */
  accessAt(page: number): number {
    const e = this.entries.get(page);
    if (e) return e.access;
    return this.runs.at(page)?.access ?? -1;
  }

  /** The physical page `page` maps to, -1 if unmapped. */
  paPageAt(page: number): number {
    const e = this.entries.get(page);
    if (e) return e.paPage;
    const r = this.runs.at(page);
    return r ? r.paPage + (page - r.ipaPage) : -1;
  }

  /** The entry of `page`, carving it out of its run if need be. */
  entryAt(page: number): Stage2Entry | undefined {
    const e = this.entries.get(page);
    if (e) return e;
    const r = this.runs.at(page);
    return r ? carve(r, page - r.ipaPage) : undefined;
  }

  /** True if any page of [first, first + pages) is mapped. */
  anyMapped(first: number, pages: number): boolean {
    if (this.runs.mapsAny(first, pages)) return true;
    if (this.entries.size < pages) {
      for (const p of this.entries.keys()) if (p >= first && p < first + pages) return true;
      return false;
    }
    for (let i = 0; i < pages; i++) if (this.entries.has(first + i)) return true;
    return false;
  }

  /**
   * How many pages from `firstPage` continue the mapping `first` (same extent, access,
   * and contiguous physical pages), up to `pages`; a run's stretch is taken in one step.
   */
  span(firstPage: number, first: PageMapping, pages: number): number {
    let n = 1;
    while (n < pages) {
      const page = firstPage + n;
      const run = this.entries.has(page) ? undefined : this.runs.at(page);
      if (run) {
        // The rest of a run that continues the mapping, in one step.
        let i = page - run.ipaPage;
        if (run.owner !== first.owner || run.access !== first.access) break;
        if (run.paPage + i !== first.paPage + n) break;
        while (n < pages && i < run.pages && run.gone[i] === 0) {
          n++;
          i++;
        }
        continue;
      }
      const e = this.entries.get(page);
      if (!e || e.owner !== first.owner || e.paPage !== first.paPage + n) break;
      if (e.access !== first.access) break;
      n++;
    }
    return n;
  }

  /**
   * A page that left a run it fits back into (same extent, offset and access) rejoins
   * it (FROM_PROTECTED giving back a lent page of the host's identity map): true if so.
   */
  rejoin(entry: Stage2Entry): boolean {
    const run = this.runs.rangeAt(entry.ipaPage);
    if (!run || run.owner !== entry.owner || run.access !== entry.access) return false;
    const i = entry.ipaPage - run.ipaPage;
    if (run.paPage + i !== entry.paPage || run.gone[i] === 0) return false;
    run.gone[i] = 0;
    run.live++;
    return true;
  }

  /** Walks [ipa, ipa+length) page by page; each page must be mapped with `need` access. */
  walk(
    ipa: number,
    length: number,
    need: number,
    visit: (page: number, offset: number, count: number, done: number) => void,
  ): number {
    if (!Number.isSafeInteger(ipa) || !Number.isSafeInteger(length) || ipa < 0 || length < 0)
      return HypError.ADDR_INVALID;
    const end = checkedAdd(ipa, length);
    if (end === undefined || end > IPA_LIMIT) return HypError.ADDR_INVALID;
    // Check the whole range first so that a failed access has no partial effect.
    for (let p = Math.floor(ipa / PAGE_SIZE); p * PAGE_SIZE < end; p++) {
      const access = this.accessAt(p);
      if (access < 0) return HypError.ADDR_INVALID;
      if ((access & need) !== need) return HypError.DENIED;
    }
    let done = 0;
    while (done < length) {
      const at = ipa + done;
      const page = Math.floor(at / PAGE_SIZE);
      const offset = at % PAGE_SIZE;
      const count = Math.min(PAGE_SIZE - offset, length - done);
      visit(this.paPageAt(page), offset, count, done);
      done += count;
    }
    return HypError.OK;
  }
}
