// Stage-2 entries shared between address spaces (which translate IPA pages) and
// memory extents (which must find every mapping of a page they give away). Kept in
// its own module so addrspace.ts and memextent.ts do not import each other.
//
// A mapping of RUN_MIN_PAGES or more contiguous pages is kept as one run (IPA base,
// PA base, length, access) instead of an entry per page: the platform's 1 GiB identity
// map of the host is then one object, made and dropped in one step. A page leaves its
// run (a bit in `gone`) when it is unmapped, or "carved": turned into its own entry
// the first time something needs it alone (a CPU's lookup, a donation taking it, an
// access change). Carved pages behave exactly as page entries always did.

import type { Stage2Page } from "./cpu.js";

/** Mappings this long or longer are kept as runs (64 KiB). */
export const RUN_MIN_PAGES = 16;

/** What an extent needs from an address space to take a page away from it. */
export interface MappingSpace {
  /** Removes the entry from the IPA map (the extent has already forgotten it). */
  dropEntry(entry: Stage2Entry): void;
  /**
   * Puts a suspended entry back if its IPA is still free (false if it cannot), into its
   * old run or as an entry, which it then adds to `entry.owner` itself.
   */
  restoreEntry(entry: Stage2Entry): boolean;
  /** A page carved out of one of this space's runs becomes an entry of its IPA map. */
  adoptEntry(entry: Stage2Entry): void;
  /** Forgets a run none of whose pages is mapped any more. */
  forgetRun(run: Stage2Run): void;
  /** Drops every CPU's cached translations (invalidateStage2 on each attached CPU). */
  syncCpus(): void;
}

export interface Stage2Entry {
  readonly space: MappingSpace;
  readonly ipaPage: number;
  readonly paPage: number;
  /** Stage-2 access (R 4, W 2, X 1). */
  access: number;
  /** The mapping list of the extent through which the page is mapped. */
  owner: ExtentMappings;
  /** The CPU-facing view, built on first lookup. */
  cached: Stage2Page | undefined;
}

/** `pages` pages mapped IPA `ipaPage + i` -> PA `paPage + i`, minus the `gone` ones. */
export interface Stage2Run {
  readonly space: MappingSpace;
  readonly ipaPage: number;
  readonly paPage: number;
  readonly pages: number;
  readonly access: number;
  readonly owner: ExtentMappings;
  /** 1 for a page no longer mapped by the run (unmapped, or carved into an entry). */
  readonly gone: Uint8Array;
  /** Pages still mapped by the run. */
  live: number;
}

export function newRun(
  space: MappingSpace,
  ipaPage: number,
  paPage: number,
  pages: number,
  access: number,
  owner: ExtentMappings,
): Stage2Run {
  return { space, ipaPage, paPage, pages, access, owner, gone: new Uint8Array(pages), live: pages };
}

/** Page `i` of the run stops being mapped by it; an emptied run is forgotten by both sides. */
export function leaveRun(run: Stage2Run, i: number): void {
  if (run.gone[i] === 1) return;
  run.gone[i] = 1;
  run.live--;
  if (run.live === 0) {
    run.owner.removeRun(run);
    run.space.forgetRun(run);
  }
}

/** Page `i` of the run becomes an entry of its space and of its extent. */
export function carve(run: Stage2Run, i: number): Stage2Entry {
  const entry: Stage2Entry = {
    space: run.space,
    ipaPage: run.ipaPage + i,
    paPage: run.paPage + i,
    access: run.access,
    owner: run.owner,
    cached: undefined,
  };
  leaveRun(run, i);
  run.space.adoptEntry(entry);
  run.owner.add(entry);
  return entry;
}

/**
 * An extent's mappings, indexed by physical page. Most pages are mapped once (a VM's
 * RAM), so a single entry is stored as itself and only shared pages get an array;
 * long mappings are runs (above).
 */
export class ExtentMappings {
  private readonly byPa = new Map<number, Stage2Entry | Stage2Entry[]>();
  private count = 0;
  private readonly runList: Stage2Run[] = [];

  get size(): number {
    let n = this.count;
    for (const r of this.runList) n += r.live;
    return n;
  }

  get runs(): readonly Stage2Run[] {
    return this.runList;
  }

  add(entry: Stage2Entry): void {
    const cur = this.byPa.get(entry.paPage);
    if (cur === undefined) this.byPa.set(entry.paPage, entry);
    else if (Array.isArray(cur)) cur.push(entry);
    else this.byPa.set(entry.paPage, [cur, entry]);
    this.count++;
  }

  addRun(run: Stage2Run): void {
    this.runList.push(run);
  }

  removeRun(run: Stage2Run): void {
    const i = this.runList.indexOf(run);
    if (i >= 0) this.runList.splice(i, 1);
  }

  remove(entry: Stage2Entry): void {
    const cur = this.byPa.get(entry.paPage);
    if (cur === undefined) return;
    if (!Array.isArray(cur)) {
      if (cur !== entry) return;
      this.byPa.delete(entry.paPage);
      this.count--;
      return;
    }
    const i = cur.indexOf(entry);
    if (i < 0) return;
    cur.splice(i, 1);
    this.count--;
    if (cur.length === 1) this.byPa.set(entry.paPage, cur[0]!);
  }

  /**
   * Removes and returns every entry mapping physical page `paPage`. A run's page
   * leaves the run; with `keepMapped` (a TO_SIBLING donation, where the mapping stays)
   * it is carved into an entry of its space, else it comes back detached: an entry
   * no space holds, only to be dropped (a no-op) or suspended for FROM_PROTECTED.
   */
  take(paPage: number, keepMapped = false): Stage2Entry[] {
    const detached: Stage2Entry[] = [];
    // Backwards: leaving or carving may remove the run from the list.
    for (let k = this.runList.length - 1; k >= 0; k--) {
      const run = this.runList[k]!;
      const i = paPage - run.paPage;
      if (i < 0 || i >= run.pages || run.gone[i] !== 0) continue;
      if (keepMapped) carve(run, i);
      else {
        detached.push({
          space: run.space,
          ipaPage: run.ipaPage + i,
          paPage,
          access: run.access,
          owner: this,
          cached: undefined,
        });
        leaveRun(run, i);
      }
    }
    const cur = this.byPa.get(paPage);
    if (cur === undefined) return detached;
    this.byPa.delete(paPage);
    const list = Array.isArray(cur) ? cur : [cur];
    this.count -= list.length;
    return detached.length === 0 ? list : [...list, ...detached];
  }

  /**
   * Unmaps every mapping of physical pages [first, first + pages): entries are taken
   * (returned, for dropEntries) and run pages simply leave their runs, whose spaces
   * are added to `touched` to be synced.
   */
  takeRange(first: number, pages: number, touched: Set<MappingSpace>): Stage2Entry[] {
    for (let k = this.runList.length - 1; k >= 0; k--) {
      const run = this.runList[k]!;
      const from = Math.max(first, run.paPage);
      const to = Math.min(first + pages, run.paPage + run.pages);
      if (from >= to) continue;
      touched.add(run.space);
      for (let p = from; p < to; p++) leaveRun(run, p - run.paPage);
    }
    const out: Stage2Entry[] = [];
    if (this.count < pages) {
      for (const pa of [...this.byPa.keys()])
        if (pa >= first && pa < first + pages) out.push(...this.take(pa));
    } else for (let p = first; p < first + pages; p++) out.push(...this.take(p));
    return out;
  }

  /** Removes every entry and run; returns the entries and the runs' spaces. */
  takeAll(touched: Set<MappingSpace>): Stage2Entry[] {
    for (const run of this.runList.splice(0)) {
      run.space.forgetRun(run);
      touched.add(run.space);
    }
    const out: Stage2Entry[] = [];
    for (const cur of this.byPa.values()) {
      if (Array.isArray(cur)) out.push(...cur);
      else out.push(cur);
    }
    this.byPa.clear();
    this.count = 0;
    return out;
  }
}

/** Unmaps entries from their spaces and syncs each space (and `touched`) once. */
export function dropEntries(
  entries: readonly Stage2Entry[],
  touched: Set<MappingSpace> = new Set(),
): void {
  for (const e of entries) {
    e.space.dropEntry(e);
    touched.add(e.space);
  }
  for (const s of touched) s.syncCpus();
}
