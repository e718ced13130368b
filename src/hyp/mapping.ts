// Stage-2 entries shared between address spaces (which translate IPA pages) and
// memory extents (which must find every mapping of a page they give away). Kept in
// its own module so addrspace.ts and memextent.ts do not import each other.

import type { Stage2Page } from "./cpu.js";

/** What an extent needs from an address space to take a page away from it. */
export interface MappingSpace {
  /** Removes the entry from the IPA map (the extent has already forgotten it). */
  dropEntry(entry: Stage2Entry): void;
  /** Puts a suspended entry back if its IPA is still free; false if it cannot. */
  restoreEntry(entry: Stage2Entry): boolean;
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

/**
 * An extent's mappings, indexed by physical page. Most pages are mapped once (a VM's
 * RAM), so a single entry is stored as itself and only shared pages get an array:
 * a 1 GiB identity map then costs one map slot per page, not one array per page.
 */
export class ExtentMappings {
  private readonly byPa = new Map<number, Stage2Entry | Stage2Entry[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(entry: Stage2Entry): void {
    const cur = this.byPa.get(entry.paPage);
    if (cur === undefined) this.byPa.set(entry.paPage, entry);
    else if (Array.isArray(cur)) cur.push(entry);
    else this.byPa.set(entry.paPage, [cur, entry]);
    this.count++;
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

  /** Removes and returns every entry mapping physical page `paPage`. */
  take(paPage: number): Stage2Entry[] {
    const cur = this.byPa.get(paPage);
    if (cur === undefined) return [];
    this.byPa.delete(paPage);
    const list = Array.isArray(cur) ? cur : [cur];
    this.count -= list.length;
    return list;
  }

  all(): Stage2Entry[] {
    const out: Stage2Entry[] = [];
    for (const cur of this.byPa.values()) {
      if (Array.isArray(cur)) out.push(...cur);
      else out.push(cur);
    }
    return out;
  }
}

/** Unmaps entries from their spaces and syncs each space once. */
export function dropEntries(entries: readonly Stage2Entry[]): void {
  const spaces = new Set<MappingSpace>();
  for (const e of entries) {
    e.space.dropEntry(e);
    spaces.add(e.space);
  }
  for (const s of spaces) s.syncCpus();
}
