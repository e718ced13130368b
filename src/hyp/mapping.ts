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

/** An extent's mappings, indexed by physical page. */
export class ExtentMappings {
  private readonly byPa = new Map<number, Stage2Entry[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(entry: Stage2Entry): void {
    const list = this.byPa.get(entry.paPage);
    if (list) list.push(entry);
    else this.byPa.set(entry.paPage, [entry]);
    this.count++;
  }

  remove(entry: Stage2Entry): void {
    const list = this.byPa.get(entry.paPage);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i < 0) return;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.byPa.delete(entry.paPage);
  }

  /** Removes and returns every entry mapping physical page `paPage`. */
  take(paPage: number): Stage2Entry[] {
    const list = this.byPa.get(paPage);
    if (!list) return [];
    this.byPa.delete(paPage);
    this.count -= list.length;
    return list;
  }

  all(): Stage2Entry[] {
    const out: Stage2Entry[] = [];
    for (const list of this.byPa.values()) out.push(...list);
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
