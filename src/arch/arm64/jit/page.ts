// The JIT state attached to a decoded-op page (mmu/tlb.ts CodePage): the compiled
// units' entries by word. Kept free of imports so the TLB can name it without a cycle.

export type UnitFn = (
  entry: number,
  vaBase: number,
  budget: number,
  fetchAdd: number,
  rTlb: number,
  wTlb: number,
  cb: number,
) => number;

export interface Entry {
  readonly fn: UnitFn;
  readonly block: number;
}

/** The JIT state of one decoded page: entries by word, arrival counts. */
export interface PageJit {
  readonly entries: (Entry | null | undefined)[];
  readonly heat: Uint16Array;
  bytes: number;
  /** The page's place in the arena, and the entry-hash slots its units occupy. */
  readonly add: number;
  readonly slots: number[];
  /** Times the page's units were dropped: a unit generated before is never installed. */
  gen: number;
}
