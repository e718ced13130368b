// Physical RAM: banks of SharedArrayBuffer allocated on first touch, so a 2 GiB
// machine costs only what its VMs actually use. Addresses here are physical and
// already validated by the caller (memdb / stage-2 checks happen above this layer).
// The banks live in one shared WebAssembly.Memory (the arch layer's WasmArena) so the
// JIT tier's compiled code addresses guest RAM directly; the arena grows on demand.

import { InvariantError } from "../lib/assert.js";
import { WasmArena } from "../arch/arm64/index.js";

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** 2 MiB banks: small enough to stay lazy, large enough to keep the bank table short. */
export const BANK_SHIFT = 21;
export const BANK_SIZE = 1 << BANK_SHIFT;

export class PhysicalMemory {
  private readonly banks: (Uint8Array | undefined)[];
  readonly basePage: number;
  readonly pageCount: number;
  /** The shared wasm memory holding the banks (absent if RAM exceeds 4 GiB). */
  readonly arena: WasmArena | undefined;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    if (base % BANK_SIZE !== 0 || size % BANK_SIZE !== 0 || size <= 0)
      throw new InvariantError("physmem: base and size must be 2 MiB multiples");
    this.banks = new Array<Uint8Array | undefined>(size / BANK_SIZE).fill(undefined);
    this.basePage = base / PAGE_SIZE;
    this.pageCount = size / PAGE_SIZE;
    this.arena = WasmArena.fits(size) ? WasmArena.forRam(size) : undefined;
  }

  get end(): number {
    return this.base + this.size;
  }

  containsPage(page: number): boolean {
    return page >= this.basePage && page < this.basePage + this.pageCount;
  }

  get allocatedBytes(): number {
    let n = 0;
    for (const b of this.banks) if (b) n += BANK_SIZE;
    return n;
  }

  /** The bank holding physical page `page` and the page's offset in it (allocates). */
  pageBacking(page: number): { bytes: Uint8Array; offset: number } {
    if (!this.containsPage(page)) throw new InvariantError(`physmem: page ${page} outside RAM`);
    const rel = (page - this.basePage) * PAGE_SIZE;
    const index = Math.floor(rel / BANK_SIZE);
    let bank = this.banks[index];
    if (!bank) {
      bank = this.arena
        ? this.arena.bytes(BANK_SIZE)
        : new Uint8Array(new SharedArrayBuffer(BANK_SIZE));
      this.banks[index] = bank;
    }
    return { bytes: bank, offset: rel % BANK_SIZE };
  }

  /** Copies out of one page; `offset + length` must stay within the page. */
  readPage(page: number, offset: number, length: number): Uint8Array {
    const b = this.pageBacking(page);
    return b.bytes.slice(b.offset + offset, b.offset + offset + length);
  }

  writePage(page: number, offset: number, data: Uint8Array): void {
    const b = this.pageBacking(page);
    b.bytes.set(data, b.offset + offset);
  }

  zeroPage(page: number): void {
    const b = this.pageBacking(page);
    b.bytes.fill(0, b.offset, b.offset + PAGE_SIZE);
  }
}
