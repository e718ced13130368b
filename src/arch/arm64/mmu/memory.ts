// Guest memory access: a direct-mapped TLB in front of the stage-1 walk and the
// Stage2Port. Addresses are 64-bit values held as (lo, hi) int32 halves, so kernel VAs
// (0xffff...) stay exact. Each entry holds the VA page tag (lo & ~0xfff, hi), the host
// DataView and the byte offset of the page in it. The fast path compares the tag with
// `lo & (~0xfff | (size - 1))`, so a misaligned access never hits and takes the slow
// path, which checks alignment, splits page-crossing accesses and fills the TLB.
// Entries are kept per (EL, access kind): index = (el * 4 + kind) * 1024 + VA[21:12],
// in one of up to 8 contexts tagged by the TTBR values (mmu/tlb.ts).

import type { Stage2Page, Stage2Port } from "../port.js";
import type { CpuState as Cpu } from "../state.js";
import { translate, resolve, ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC } from "./translate.js";
import type { MemoryPort, Translation } from "../state.js";
import { FSC } from "../fault.js";
import { TlbContext, ENTRIES, INVALID_TAG, MIRROR_BYTES, type CodePage } from "./tlb.js";
import { toSignedNumber } from "../bits.js";
import type { WasmArena } from "../jit/arena.js";

const PAGE_MASK = -4096;
const EMPTY_VIEW = new DataView(new ArrayBuffer(8));
const S2_ENTRIES = 1024;
const MAX_CONTEXTS = 8;

export class MemoryUnit implements MemoryPort {
  // The current TLB context's arrays (see mmu/tlb.ts), swapped on a context switch.
  tagLo: Int32Array;
  tagHi: Int32Array;
  views: DataView[];
  adds: Float64Array;
  /** Decoded-op pages of exec entries (same index as the TLB). */
  codePages: (CodePage | undefined)[];
  ipaPages: Float64Array;
  /** 1 if the entry's memory is Device (unaligned accesses fault). */
  private devices: Uint8Array;
  private readonly contexts: TlbContext[] = [];
  private current: TlbContext;
  private useClock = 0;
  /** TLB index bases for the current EL: reads, writes, fetches. */
  rBase = ENTRIES * 4;
  wBase = ENTRIES * 5;
  xBase = ENTRIES * 6;
  /** High half of the last 64-bit read. */
  hi = 0;
  /** The TLB entry of the last successful bulk() probe. */
  bulkIndex = 0;
  // A direct-mapped cache of Stage2Port answers (table walks hit the same few pages),
  // dropped only by invalidateStage2().
  private readonly s2Key = new Float64Array(S2_ENTRIES).fill(-1);
  private readonly s2Page: (Stage2Page | undefined)[] = new Array<Stage2Page | undefined>(
    S2_ENTRIES,
  ).fill(undefined);
  /** Some s2Key entry may be set (flushStage2 skips the fills while none is). */
  private s2Filled = false;
  private readonly desc = { lo: 0, hi: 0 };
  private readonly viewCache = new WeakMap<ArrayBufferLike, DataView>();
  readonly tr: Translation = { ipa: 0, device: false, view: EMPTY_VIEW, add: 0, ipaPage: 0 };
  /** The arena the JIT mirror lives in (set by enableMirror), and the current mirror. */
  private arena: WasmArena | undefined;
  private mirror: Int32Array | undefined;
  /** Wasm address of the current context's mirror (0 when there is none). */
  mirrorAddr = 0;

  constructor(
    private readonly cpu: Cpu,
    readonly port: Stage2Port,
  ) {
    this.current = new TlbContext();
    this.contexts.push(this.current);
    this.tagLo = this.current.tagLo;
    this.tagHi = this.current.tagHi;
    this.views = this.current.views;
    this.adds = this.current.adds;
    this.codePages = this.current.codePages;
    this.ipaPages = this.current.ipaPages;
    this.devices = this.current.devices;
  }

  /** Keeps a copy of the TLB in `arena` for compiled code (jit/emit-mem.ts). */
  enableMirror(arena: WasmArena): void {
    this.arena = arena;
    for (const ctx of this.contexts) this.addMirror(ctx);
    this.mirror = this.current.mirror;
    this.mirrorAddr = this.current.mirrorAddr;
  }

  private addMirror(ctx: TlbContext): void {
    const arena = this.arena;
    if (arena === undefined || ctx.mirror !== undefined) return;
    ctx.mirrorAddr = arena.allocate(MIRROR_BYTES, 16);
    ctx.mirror = new Int32Array(arena.buffer, ctx.mirrorAddr, MIRROR_BYTES / 4).fill(INVALID_TAG);
  }

  private use(ctx: TlbContext): void {
    this.addMirror(ctx);
    if (ctx.stale) ctx.clear();
    this.mirror = ctx.mirror;
    this.mirrorAddr = ctx.mirrorAddr;
    ctx.lastUse = ++this.useClock;
    this.current = ctx;
    this.tagLo = ctx.tagLo;
    this.tagHi = ctx.tagHi;
    this.views = ctx.views;
    this.adds = ctx.adds;
    this.codePages = ctx.codePages;
    this.ipaPages = ctx.ipaPages;
    this.devices = ctx.devices;
    this.cpu.fetchBase = NaN;
  }

  /**
   * TTBR0/TTBR1 changed (a context switch, or KPTI's trampoline): select the TLB
   * context tagged with both TTBR values (which include the ASIDs), the way an
   * ASID-tagged TLB keeps translations across switches. TLBIs apply to every context.
   */
  switchContext(ttbr0Lo: number, ttbr0Hi: number, ttbr1Lo: number, ttbr1Hi: number): void {
    let victim = this.contexts[0]!;
    for (const ctx of this.contexts) {
      if (ctx.matches(ttbr0Lo, ttbr0Hi, ttbr1Lo, ttbr1Hi)) return this.use(ctx);
      if (ctx.lastUse < victim.lastUse) victim = ctx;
    }
    if (this.contexts.length < MAX_CONTEXTS) {
      victim = new TlbContext();
      this.contexts.push(victim);
    } else victim.stale = true;
    victim.setKey(ttbr0Lo, ttbr0Hi, ttbr1Lo, ttbr1Hi);
    this.use(victim);
  }

  setEl(el: number): void {
    this.rBase = el * 4 * ENTRIES;
    this.wBase = this.rBase + ENTRIES;
    this.xBase = this.rBase + 2 * ENTRIES;
  }

  /** Drops every translation of every context (TLBI VMALLE1, SCTLR/TCR/MAIR writes). */
  flush(): void {
    for (const ctx of this.contexts) ctx.stale = true;
    this.current.clear();
    this.cpu.fetchBase = NaN;
  }

  /** Drops the cached stage-2 answers too (the hypervisor changed a mapping). */
  flushStage2(): void {
    if (this.s2Filled) {
      this.s2Key.fill(-1);
      this.s2Page.fill(undefined);
      this.s2Filled = false;
    }
    this.flush();
  }

  /**
   * TLBI by VA (Arm ARM D8.13): drops the entries of one VA page in every (EL, kind)
   * set. Tags are compared without the top byte, so TBI-tagged aliases go too.
   */
  flushPage(lo: number, hi: number): void {
    for (const ctx of this.contexts) ctx.flushPage(lo, hi);
    this.cpu.fetchBase = NaN;
  }

  /** The Stage2Port answer for an IPA page, through the small cache. */
  stage2(ipaPage: number): Stage2Page | undefined {
    const k = ipaPage & (S2_ENTRIES - 1);
    if (this.s2Key[k] === ipaPage) return this.s2Page[k];
    const page = this.port.lookup(ipaPage);
    if (page !== undefined) {
      this.s2Filled = true;
      this.s2Key[k] = ipaPage;
      this.s2Page[k] = page;
    }
    return page;
  }

  viewOf(page: Stage2Page): DataView {
    const buf = page.bytes.buffer;
    let v = this.viewCache.get(buf);
    if (v === undefined) {
      v = new DataView(buf);
      this.viewCache.set(buf, v);
    }
    return v;
  }

  // ---- fast paths (small enough for V8 to inline at every call site) ----

  read8(lo: number, hi: number): number {
    const i = this.rBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & PAGE_MASK) && this.tagHi[i] === hi)
      return this.views[i]!.getUint8(this.adds[i]! + (lo & 0xfff));
    return this.slowRead(lo, hi, 1, ACCESS_READ, false);
  }

  read16(lo: number, hi: number): number {
    const i = this.rBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & -4095) && this.tagHi[i] === hi)
      return this.views[i]!.getUint16(this.adds[i]! + (lo & 0xfff), true);
    return this.slowRead(lo, hi, 2, ACCESS_READ, false);
  }

  read32(lo: number, hi: number): number {
    const i = this.rBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & -4093) && this.tagHi[i] === hi)
      return this.views[i]!.getInt32(this.adds[i]! + (lo & 0xfff), true);
    return this.slowRead(lo, hi, 4, ACCESS_READ, false);
  }

  /** Returns the low half; the high half is left in `this.hi`. */
  read64(lo: number, hi: number): number {
    const i = this.rBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & -4089) && this.tagHi[i] === hi) {
      const v = this.views[i]!;
      const a = this.adds[i]! + (lo & 0xfff);
      this.hi = v.getInt32(a + 4, true);
      return v.getInt32(a, true);
    }
    return this.slowRead(lo, hi, 8, ACCESS_READ, false);
  }

  write8(lo: number, hi: number, value: number): void {
    const i = this.wBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & PAGE_MASK) && this.tagHi[i] === hi)
      this.views[i]!.setUint8(this.adds[i]! + (lo & 0xfff), value);
    else this.slowWrite(lo, hi, 1, value, 0, false);
  }

  write16(lo: number, hi: number, value: number): void {
    const i = this.wBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & -4095) && this.tagHi[i] === hi)
      this.views[i]!.setUint16(this.adds[i]! + (lo & 0xfff), value, true);
    else this.slowWrite(lo, hi, 2, value, 0, false);
  }

  write32(lo: number, hi: number, value: number): void {
    const i = this.wBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & -4093) && this.tagHi[i] === hi)
      this.views[i]!.setInt32(this.adds[i]! + (lo & 0xfff), value, true);
    else this.slowWrite(lo, hi, 4, value, 0, false);
  }

  write64(lo: number, hi: number, vlo: number, vhi: number): void {
    const i = this.wBase | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & -4089) && this.tagHi[i] === hi) {
      const v = this.views[i]!;
      const a = this.adds[i]! + (lo & 0xfff);
      v.setInt32(a, vlo, true);
      v.setInt32(a + 4, vhi, true);
    } else this.slowWrite(lo, hi, 8, vlo, vhi, false);
  }

  /**
   * The offset in `views[i]` (i left in `bulkIndex`) of a `bytes`-long access at lo:hi
   * that lies in one page the TLB already maps for this access, else -1. It is the
   * check read8/write8 make for each byte, made once for a structure transfer
   * (LD1-LD4/ST1-ST4), so the transfer's elements, when naturally aligned, behave
   * exactly as their per-element accesses would.
   */
  bulk(lo: number, hi: number, bytes: number, write: boolean): number {
    if ((lo & 0xfff) + bytes > 4096) return -1;
    const i = (write ? this.wBase : this.rBase) | ((lo >>> 12) & 1023);
    if (this.tagLo[i] !== (lo & PAGE_MASK) || this.tagHi[i] !== hi) return -1;
    this.bulkIndex = i;
    return this.adds[i]! + (lo & 0xfff);
  }

  // ---- slow paths ----

  /** A read at EL0 permissions regardless of the current EL (LDTR*). */
  readUnpriv(lo: number, hi: number, size: number): number {
    return this.slowRead(lo, hi, size, ACCESS_READ, true);
  }

  writeUnpriv(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    this.slowWrite(lo, hi, size, vlo, vhi, true);
  }

  /**
   * Translates one access, raising its fault. `strict` forces the alignment check
   * (exclusives, atomics); otherwise only Device memory and SCTLR.A require alignment.
   * `crossing` marks the pages of a page-crossing access, which is misaligned whatever
   * address the page's part starts at.
   */
  private lookup(
    lo: number,
    hi: number,
    size: number,
    access: number,
    unpriv: boolean,
    strict: boolean,
    crossing = false,
    watch = true,
  ): Translation {
    const el = unpriv ? 0 : this.cpu.el;
    const misaligned = crossing || (lo & (size - 1)) !== 0;
    if (misaligned && (strict || this.cpu.alignmentCheck))
      this.cpu.alignmentFault(lo, hi, access === ACCESS_WRITE);
    const base = (el * 4 + access) * ENTRIES;
    const i = base | ((lo >>> 12) & 1023);
    if (this.tagLo[i] === (lo & PAGE_MASK) && this.tagHi[i] === hi) {
      // A TLB hit that missed the fast path (misaligned or page-crossing access).
      const tr = this.tr;
      if (misaligned && this.devices[i] === 1)
        this.cpu.alignmentFault(lo, hi, access === ACCESS_WRITE);
      tr.view = this.views[i]!;
      tr.add = this.adds[i]!;
      tr.ipaPage = this.ipaPages[i]!;
      tr.ipa = tr.ipaPage * 4096 + (lo & 0xfff);
      tr.device = this.devices[i] === 1;
      if (this.cpu.debug.watchArmed && watch && access !== ACCESS_EXEC)
        this.cpu.debug.checkWatch(lo, hi, size, access === ACCESS_WRITE, el);
      return tr;
    }
    // translate() raises the Device alignment fault itself, before stage 2 (an MMIO
    // page has no backing, so checking afterwards would exit to the VMM instead).
    const tr = translate(this.cpu, this, lo, hi, access, el, misaligned);
    // Watchpoints (debug.ts): checked after translation (its faults come first), and a
    // watched page stays out of the TLB so that every access to it comes here.
    if (this.cpu.debug.watchArmed && access !== ACCESS_EXEC) {
      if (watch) this.cpu.debug.checkWatch(lo, hi, size, access === ACCESS_WRITE, el);
      if (this.cpu.debug.pageWatched(toSignedNumber(lo & PAGE_MASK, hi))) return tr;
    }
    this.fill(i, lo, hi, tr);
    return tr;
  }

  /** Enters a translation at TLB index `i`, and in the JIT's mirror. */
  private fill(i: number, lo: number, hi: number, tr: Translation): void {
    this.current.filled = true;
    this.tagLo[i] = lo & PAGE_MASK;
    this.tagHi[i] = hi;
    this.views[i] = tr.view;
    this.adds[i] = tr.add;
    this.ipaPages[i] = tr.ipaPage;
    this.devices[i] = tr.device ? 1 : 0;
    this.codePages[i] = undefined;
    const m = this.mirror;
    if (m !== undefined) {
      // Compiled code reaches only pages in the arena; others stay interpreter-only.
      const inArena = this.arena!.owns(tr.view.buffer);
      m[i * 4] = inArena ? lo & PAGE_MASK : INVALID_TAG;
      m[i * 4 + 1] = hi;
      m[i * 4 + 2] = tr.add;
      // Misaligned accesses to Device memory fault: compiled code checks this flag.
      m[i * 4 + 3] = tr.device ? 1 : 0;
    }
  }

  /**
   * A compiled unit's probe of the mirror missed (jit/tlb-fill.ts): the data access of
   * `bytes` (`span` in all: a pair) at (lo, hi) is translated and entered in the TLB
   * exactly as lookup() would do it for the interpreter at this instruction. True if
   * the unit may now do the access itself: lookup() would neither raise nor exit, the
   * access stays in the page, no watchpoint is armed, and the page is in the arena.
   * Never raises and changes nothing but the TLB entry lookup() would fill (and the
   * Stage2Port answers it caches), so when it says false the interpreter, running the
   * instruction, finds the same state and raises the fault or makes the exit.
   */
  fillForJit(
    lo: number,
    hi: number,
    access: number,
    bytes: number,
    span: number,
    strict: boolean,
  ): boolean {
    const m = this.mirror;
    if (m === undefined || this.cpu.debug.watchArmed) return false;
    if ((lo & 0xfff) + span > 4096) return false; // the interpreter splits page crossings
    const misaligned = (lo & (bytes - 1)) !== 0;
    if (misaligned && (strict || this.cpu.alignmentCheck)) return false;
    const el = this.cpu.el;
    const i = ((el * 4 + access) * ENTRIES) | ((lo >>> 12) & 1023);
    // In the TLB already, so the mirror could not take it (a page outside the arena).
    if (this.tagLo[i] === (lo & PAGE_MASK) && this.tagHi[i] === hi) return false;
    const tr = resolve(this.cpu, this, lo, hi, access, el, misaligned);
    if (tr === undefined) return false;
    this.fill(i, lo, hi, tr);
    return m[i * 4] !== INVALID_TAG;
  }

  slowRead(
    lo: number,
    hi: number,
    size: number,
    access: number,
    unpriv: boolean,
    strict = false,
  ): number {
    const off = lo & 0xfff;
    if (off + size <= 4096) {
      const tr = this.lookup(lo, hi, size, access, unpriv, strict);
      const v = tr.view;
      const a = tr.add + off;
      switch (size) {
        case 1:
          return v.getUint8(a);
        case 2:
          return v.getUint16(a, true);
        case 4:
          return v.getInt32(a, true);
        default:
          this.hi = v.getInt32(a + 4, true);
          return v.getInt32(a, true);
      }
    }
    // Crosses a page: both pages are translated (and may fault) before any byte is used.
    const first = 4096 - off;
    const t1 = this.lookup(lo, hi, size, access, unpriv, strict, true);
    const v1 = t1.view;
    const a1 = t1.add + off;
    const nlo = (lo + first) | 0;
    const nhi = (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
    const t2 = this.lookup(nlo, nhi, size, access, unpriv, strict, true, false);
    let rlo = 0;
    let rhi = 0;
    for (let k = 0; k < size; k++) {
      const b = k < first ? v1.getUint8(a1 + k) : t2.view.getUint8(t2.add + k - first);
      if (k < 4) rlo |= b << (8 * k);
      else rhi |= b << (8 * (k - 4));
    }
    this.hi = rhi;
    return size === 4 || size === 8 ? rlo | 0 : rlo >>> 0;
  }

  slowWrite(
    lo: number,
    hi: number,
    size: number,
    vlo: number,
    vhi: number,
    unpriv: boolean,
    strict = false,
  ): void {
    const off = lo & 0xfff;
    if (off + size <= 4096) {
      const tr = this.lookup(lo, hi, size, ACCESS_WRITE, unpriv, strict);
      const v = tr.view;
      const a = tr.add + off;
      switch (size) {
        case 1:
          v.setUint8(a, vlo);
          break;
        case 2:
          v.setUint16(a, vlo, true);
          break;
        case 4:
          v.setInt32(a, vlo, true);
          break;
        default:
          v.setInt32(a, vlo, true);
          v.setInt32(a + 4, vhi, true);
      }
      return;
    }
    const first = 4096 - off;
    const t1 = this.lookup(lo, hi, size, ACCESS_WRITE, unpriv, strict, true);
    const v1 = t1.view;
    const a1 = t1.add + off;
    const nlo = (lo + first) | 0;
    const nhi = (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
    const t2 = this.lookup(nlo, nhi, size, ACCESS_WRITE, unpriv, strict, true, false);
    for (let k = 0; k < size; k++) {
      const b = (k < 4 ? vlo >>> (8 * k) : vhi >>> (8 * (k - 4))) & 0xff;
      if (k < first) v1.setUint8(a1 + k, b);
      else t2.view.setUint8(t2.add + k - first, b);
    }
  }

  /** Strictly aligned accesses for exclusives and atomics (Arm ARM B2.5.2). */
  readAligned(lo: number, hi: number, size: number): number {
    return this.slowRead(lo, hi, size, ACCESS_READ, false, true);
  }

  writeAligned(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    this.slowWrite(lo, hi, size, vlo, vhi, false, true);
  }

  /**
   * A 16-byte SIMD&FP access (LDR/STR/LDP/STP Q) that is not 16-byte aligned: it is
   * done as two 8-byte halves that may each be aligned, so check the whole access
   * first. Misaligned to its size, it faults on Device memory (either page) or with
   * SCTLR.A, as Mem[address, 16] does (Arm ARM B2.5.2); Normal memory is untouched.
   */
  checkAlign16(lo: number, hi: number, isWrite: boolean): void {
    const access = isWrite ? ACCESS_WRITE : ACCESS_READ;
    this.lookup(lo, hi, 16, access, false, false, true);
    const first = 4096 - (lo & 0xfff);
    if (first >= 16) return;
    const nlo = (lo + first) | 0;
    const nhi = (hi + (nlo >>> 0 < lo >>> 0 ? 1 : 0)) | 0;
    this.lookup(nlo, nhi, 16, access, false, false, true, false);
  }

  /** Write permission check without storing (atomics check it before reading). */
  probeWrite(lo: number, hi: number, size: number): Translation {
    return this.lookup(lo, hi, size, ACCESS_WRITE, false, true);
  }

  /** Translation of an instruction fetch; the caller caches the page. */
  fetchTranslate(lo: number, hi: number): Translation {
    return this.lookup(lo, hi, 4, ACCESS_EXEC, false, false);
  }

  /** Reads a naturally aligned u64 at an IPA for the table walker, or undefined. */
  readIpa64(ipa: number): { lo: number; hi: number } | undefined {
    const page = this.stage2(Math.floor(ipa / 4096));
    if (page === undefined || !page.read) return undefined;
    const v = this.viewOf(page);
    const a = page.bytes.byteOffset + page.offset + (ipa % 4096);
    const d = this.desc;
    d.lo = v.getInt32(a, true);
    d.hi = v.getInt32(a + 4, true);
    return d;
  }
}

export { ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC, FSC };
