// One TLB context: the direct-mapped entries for every (EL, access kind) set, tagged
// with the TTBR0/TTBR1 values (and so the ASIDs) they were filled under. A stale
// context is cleared lazily, when it is next selected.

import type { PageJit } from "../jit/page.js";

export const ENTRIES = 1024;
/** Never equals a masked address: bit 11 is always cleared by the fast-path mask. */
export const INVALID_TAG = 0x800;
const SIZE = ENTRIES * 8;
const PAGE_MASK = -4096;
const EMPTY_VIEW = new DataView(new ArrayBuffer(8));

/** The decoded ops of one IPA page (see interp.ts). */
export interface CodePage {
  readonly words: Int32Array;
  readonly ops: Uint16Array;
  /** Compiled units entering this page (jit/tier.ts), created on first use. */
  jit?: PageJit;
}

export class TlbContext {
  readonly tagLo = new Int32Array(SIZE).fill(INVALID_TAG);
  readonly tagHi = new Int32Array(SIZE);
  readonly views: DataView[] = new Array<DataView>(SIZE).fill(EMPTY_VIEW);
  readonly adds = new Float64Array(SIZE);
  readonly ipaPages = new Float64Array(SIZE);
  readonly codePages: (CodePage | undefined)[] = new Array<CodePage | undefined>(SIZE).fill(
    undefined,
  );
  readonly devices = new Uint8Array(SIZE);
  private ttbr0Lo = 0;
  private ttbr0Hi = 0;
  private ttbr1Lo = 0;
  private ttbr1Hi = 0;
  stale = false;
  /**
   * False while no entry can be valid (after a clear, until the next fill): clearing
   * is then skipped. A VM's teardown unmaps its pages one by one and each unmap
   * invalidates every vCPU (hyp/addrspace.ts syncCpus); with nothing filled in
   * between, those clears of 160 KiB each were 2.9 % of the 2-vCPU boot's profile.
   */
  filled = false;
  lastUse = 0;
  /**
   * The JIT's copy of the entries in the wasm arena (jit/emit-mem.ts probes it): per
   * entry 4 words, the tag (lo, hi), the page's offset in the wasm memory, unused.
   * Only entries whose page lives in the arena are valid there.
   */
  mirror: Int32Array | undefined;
  mirrorAddr = 0;

  matches(t0l: number, t0h: number, t1l: number, t1h: number): boolean {
    return (
      this.ttbr0Lo === t0l && this.ttbr0Hi === t0h && this.ttbr1Lo === t1l && this.ttbr1Hi === t1h
    );
  }

  setKey(t0l: number, t0h: number, t1l: number, t1h: number): void {
    this.ttbr0Lo = t0l;
    this.ttbr0Hi = t0h;
    this.ttbr1Lo = t1l;
    this.ttbr1Hi = t1h;
  }

  clear(): void {
    if (this.filled) {
      this.tagLo.fill(INVALID_TAG);
      this.mirror?.fill(INVALID_TAG);
      this.filled = false;
    }
    this.stale = false;
  }

  /** Drops one VA page from every set; the top byte is ignored (TBI aliases). */
  flushPage(lo: number, hi: number): void {
    if (this.stale || !this.filled) return;
    const idx = (lo >>> 12) & (ENTRIES - 1);
    const tag = lo & PAGE_MASK;
    for (let set = 0; set < 8; set++) {
      const i = set * ENTRIES + idx;
      if (this.tagLo[i] === tag && ((this.tagHi[i]! ^ hi) & 0x00ffffff) === 0) {
        this.tagLo[i] = INVALID_TAG;
        if (this.mirror) this.mirror[i * 4] = INVALID_TAG;
      }
    }
  }
}

/** Bytes of one context's JIT mirror (16 per entry: tag i64, arena offset, Device flag). */
export const MIRROR_BYTES = SIZE * 16;
