// Backing store for guest pages: 4 KiB slices of larger slabs, so that a program that
// touches a million pages does not create a million ArrayBuffers. Freed slices are
// reused (zeroed first: a new mapping must read as zero, as Linux's anonymous pages do).

import { PAGE_SIZE, WasmArena } from "../arch/arm64/index.js";

export interface PageBacking {
  readonly bytes: Uint8Array;
  readonly offset: number;
}

const PAGES_PER_SLAB = 64;

export class PagePool {
  private readonly free: PageBacking[] = [];
  private slab: Uint8Array | undefined;
  private nextInSlab = PAGES_PER_SLAB;
  private live = 0;

  /** The shared wasm memory the slabs live in (so the JIT tier reaches them). */
  readonly arena: WasmArena | undefined;

  /** @param maxPages the most pages alive at once (a program's resident-set limit). */
  constructor(private readonly maxPages: number) {
    const bytes = (maxPages + PAGES_PER_SLAB) * PAGE_SIZE;
    this.arena = WasmArena.fits(bytes) ? WasmArena.forRam(bytes) : undefined;
  }

  get livePages(): number {
    return this.live;
  }

  /** A zeroed page, or undefined when the resident-set limit is reached. */
  allocate(): PageBacking | undefined {
    if (this.live >= this.maxPages) return undefined;
    this.live++;
    const reused = this.free.pop();
    if (reused) {
      reused.bytes.fill(0, reused.offset, reused.offset + PAGE_SIZE);
      return reused;
    }
    if (this.nextInSlab === PAGES_PER_SLAB || !this.slab) {
      this.slab = this.arena
        ? this.arena.bytes(PAGES_PER_SLAB * PAGE_SIZE)
        : new Uint8Array(PAGES_PER_SLAB * PAGE_SIZE);
      this.nextInSlab = 0;
    }
    return { bytes: this.slab, offset: this.nextInSlab++ * PAGE_SIZE };
  }

  release(page: PageBacking): void {
    this.live--;
    this.free.push(page);
  }
}
