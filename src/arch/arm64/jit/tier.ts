// The JIT tier's runtime: finds compiled code for the PC, counts arrivals at blocks
// that have none (compiling them past a threshold), runs units and turns their exits
// back into CPU state. The interpreter stays the cold tier and runs what units leave
// to it (interp.ts run()). Units are attached to the decoded-op page of their IPA page
// (so every VA alias and EL shares them) and hold no VA: the page's VA base is a
// parameter. A unit checks its instruction words against memory on entry, so
// self-modifying, reloaded and DMA-written code is never run stale.

import type { CpuState, JitRunner } from "../state.js";
import type { Entry, PageJit, UnitFn } from "./page.js";
import {
  dispatcherModule,
  hashSlot,
  hashValue,
  HASH_BYTES,
  HASH_SLOTS,
  TOMBSTONE,
  type Dispatcher,
} from "./dispatch.js";
import { newCounters } from "./stats.js";
import type { WasmArena } from "./arena.js";
import { CB_ALIGNOK, CB_FLAGS, CB_FPOK, CB_KIND, CB_PC, CB_SIZE, CB_ZVAOK, Exit } from "./gen.js";
import { syncedIn, writeSysState } from "./sys-state.js";

import { sysHelper } from "./sys-helper.js";
import { fillHelper, FILLED } from "./tlb-fill.js";
import { compileRegion, MAX_UNIT, scanRegion } from "./compile.js";
import { Batcher, BATCH, type Batch, type CompileMode } from "./batch.js";
import type { Decoder } from "../decode/decoder.js";
import { probeFetch } from "../interp.js";
import { INSTRUCTION_ABORTED } from "../fault.js";
import { SIMD_OP_BASE } from "../simd/context.js";
import { executeSimd } from "../simd/execute.js";
import { execFpMemory } from "../exec/fpmem.js";
import { execMemory } from "../exec/ldst.js";
import { execDataProcessing } from "../exec/dp.js";

/**
 * Arrivals at queued units, per arrival of the threshold, that make the batch compile
 * before it is full: at the boot's threshold (1000) a unit waits at most 2,000 arrivals
 * for 15 others to share its module; at `gunyah exec`'s (200) 400, so a short program's
 * few hot loops are not interpreted ten times longer than the threshold says.
 */
const PENDING_PATIENCE_PER_ARRIVAL = 2;
/** Marks an entry whose unit waits in the batch queue. */
const PENDING: Entry = { fn: () => 0, block: -1 };

/** Code cache bound: past this many bytes of modules, every unit is dropped. */
const CACHE_LIMIT = 48 << 20;
/**
 * What V8 commits per module beyond its bytes (code space, instance, export wrappers):
 * measured as ~20 KB of RSS per module. Without it the bound, which counted module bytes
 * only (~540 per unit), let 40,000 modules exhaust V8's wasm code space.
 */
const MODULE_COST = 24 << 10;

export class JitTier implements JitRunner {
  readonly stats = newCounters();
  /** Set by enter(): the instruction at the PC must be run by the interpreter. */
  interpretNext = false;
  /**
   * Set by enter(): a called-out instruction took an exception or exit, or a DAIF
   * write left an interrupt to take (Exit.SYNC): the run loop publishes and checks.
   */
  excepted = false;
  /** Set by enter(): instructions of its run up to its last DAIF write (else 0). */
  synced = 0;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly pages = new Set<PageJit>();
  /** The entry hash in the arena (dispatch.ts), its slots in use (with erased ones). */
  private readonly hash: number;
  private readonly hashView: Int32Array;
  private used = 0;
  /** Every unit's function, by slot; the dispatcher calls through it. */
  private readonly table: WebAssembly.Table;
  private nextSlot = 0;
  /**
   * Bytes charged to the modules the table keeps alive since the last flush: a page
   * dropped for stale code leaves its module in the table, so only a flush frees it.
   */
  private retained = 0;
  private readonly run: Dispatcher;
  /** Queued units and their modules (batch.ts). */
  private readonly batcher: Batcher;
  /** Arrivals at queued units since the last batch. */
  private pendingHits = 0;
  private readonly patience: number;
  private readonly imports: Record<string, Record<string, unknown>>;

  constructor(
    private readonly cpu: CpuState,
    private readonly arena: WasmArena,
    /** Wasm address of the CPU block (gen.ts layout; cpu.ts allocates it). */
    private readonly cb: number,
    private readonly threshold: number,
    private readonly decoder: Decoder,
    private readonly cacheLimit = CACHE_LIMIT,
    compileMode: CompileMode = "sync",
  ) {
    this.patience = PENDING_PATIENCE_PER_ARRIVAL * threshold;
    this.batcher = new Batcher(compileMode, threshold === 0 ? 1 : BATCH, {
      install: (batch, compiled) => this.install(batch, compiled),
      failed: (batch) => this.failed(batch),
      changed: (compiling) => (this.stats.compiling = compiling),
    });
    this.i32 = new Int32Array(arena.buffer, cb, CB_SIZE >> 2);
    this.f64 = new Float64Array(arena.buffer, cb, 37);
    this.hash = arena.allocate(HASH_BYTES, 8);
    this.hashView = new Int32Array(arena.buffer, this.hash, HASH_SLOTS * 2);
    this.table = new WebAssembly.Table({ element: "anyfunc", initial: 256 });
    // The casts satisfy both this tree's WebAssembly declarations (wasm-api.d.ts) and the
    // DOM's, under which the browser page's worker compiles this file (tsconfig.web.json).
    const dispatcherBytes = dispatcherModule() as Uint8Array<ArrayBuffer>;
    const dispatcher = new WebAssembly.Instance(new WebAssembly.Module(dispatcherBytes), {
      e: { m: arena.memory, t: this.table },
    });
    this.run = dispatcher.exports["run"] as Dispatcher;
    this.imports = {
      e: {
        m: arena.memory,
        h: (insn: number, op: number, pc: number) => this.helper(insn, op, pc),
      },
    };
  }

  /**
   * Runs compiled code at cpu.pc if there is (or now is) some: returns the number of
   * instructions it retired (cpu.pc and registers updated), or -1 when the
   * interpreter must run from here. Never raises a guest exception.
   */
  enter(cpu: CpuState, budget: number): number {
    const pc = cpu.pc;
    let off = pc - cpu.fetchBase;
    if (!(off >= 0 && off < 4096)) {
      if (!probeFetch(cpu)) return -1;
      off = pc - cpu.fetchBase;
    }
    if ((off & 3) !== 0) return -1;
    const page = cpu.fetchPage;
    if (page === undefined) return -1;
    let pj = page.jit;
    if (pj === undefined) {
      if (!this.arena.owns(cpu.fetchView.buffer)) return -1;
      pj = {
        entries: new Array<Entry | null | undefined>(1024).fill(undefined),
        heat: new Uint16Array(1024),
        bytes: 0,
        add: cpu.fetchAdd,
        slots: [],
        gen: 0,
      };
      page.jit = pj;
    }
    const w = off >> 2;
    let e = pj.entries[w];
    if (e === undefined) {
      if (pj.heat[w]! < this.threshold) {
        pj.heat[w]!++;
        this.stats.exits.cold++;
        return -1;
      }
      e = this.compile(cpu, page.words, page.ops, pj, w);
    }
    if (e === PENDING) {
      // Queued for the next batch: interpret meanwhile, but do not wait long.
      if (++this.pendingHits >= this.patience) {
        this.pendingHits = 0;
        const t0 = performance.now();
        this.batcher.overdue();
        this.stats.compileMs += performance.now() - t0;
        e = pj.entries[w];
      }
      if (e === undefined || e === PENDING) {
        this.stats.exits.pending++;
        return -1;
      }
    }
    if (e === null) {
      this.stats.exits.unsupported++;
      // Starts with an instruction units do not handle: interpret just that one.
      this.interpretNext = true;
      return 0;
    }
    return this.dispatch(cpu, budget);
  }

  stillCold(cpu: CpuState): boolean {
    const off = cpu.pc - cpu.fetchBase;
    if (!(off >= 0 && off < 4096)) return false; // another page (or misaligned): enter()
    const pj = cpu.fetchPage?.jit;
    if (pj === undefined) return false;
    const w = off >> 2;
    if (pj.entries[w] !== undefined || pj.heat[w]! >= this.threshold) return false;
    pj.heat[w]!++;
    this.stats.exits.cold++;
    return true;
  }

  /** Runs units from cpu.pc, chained in wasm (dispatch.ts), and takes back the state. */
  private dispatch(cpu: CpuState, budget: number): number {
    const i32 = this.i32;
    const flags = CB_FLAGS >> 2;
    i32[flags] = cpu.nf;
    i32[flags + 1] = cpu.zf;
    i32[flags + 2] = cpu.cf;
    i32[flags + 3] = cpu.vf;
    i32[CB_KIND >> 2] = Exit.CONTINUE;
    // Native SIMD&FP code bails when FP is trapped; units change neither CPACR nor the EL.
    i32[CB_FPOK >> 2] = cpu.fpEnabled() ? 1 : 0;
    i32[CB_ALIGNOK >> 2] = cpu.alignmentCheck ? 0 : 1;
    // DC ZVA at EL0 traps unless SCTLR_EL1.DZE (exec/sysops.ts); EL and SCTLR change
    // only in what ends a run of units.
    i32[CB_ZVAOK >> 2] = cpu.el !== 0 || cpu.user || (cpu.sctlr & (1 << 14)) !== 0 ? 1 : 0;
    this.f64[CB_PC >> 3] = cpu.pc;
    writeSysState(i32, cpu, budget);
    const mem = cpu.mem;
    const m = mem.mirrorAddr;
    const n = this.run(
      budget,
      m + mem.xBase * 16,
      m + mem.rBase * 16,
      m + mem.wBase * 16,
      this.cb,
      this.hash,
    );
    const kind = i32[CB_KIND >> 2]!;
    const exits = this.stats.exits;
    exits.runs++;
    if (kind === Exit.CONTINUE) exits.miss++;
    else if (kind === Exit.INTERPRET) exits.interpret++;
    else if (kind === Exit.STALE) exits.stale++;
    else if (kind === Exit.SYNC) exits.sync++;
    else exits.exception++;
    this.stats.instructions += n;
    // A DAIF write in compiled code: where the interpreter publishes the count.
    this.synced = syncedIn(i32, budget);
    if (kind === Exit.EXCEPTION) {
      this.excepted = true; // the exception entry set PC and PSTATE
      return n;
    }
    cpu.nf = i32[flags]!;
    cpu.zf = i32[flags + 1]!;
    cpu.cf = i32[flags + 2]!;
    cpu.vf = i32[flags + 3]!;
    cpu.pc = this.f64[CB_PC >> 3]!;
    if (kind === Exit.STALE) {
      // The unit at the PC found its words changed: drop its page's units.
      if (probeFetch(cpu) && cpu.fetchPage?.jit) this.drop(cpu.fetchPage.jit, true);
      return n > 0 ? n : -1;
    }
    this.interpretNext = kind === Exit.INTERPRET;
    // After a DAIF write that left an interrupt to take (irqCheck is set).
    if (kind === Exit.SYNC) this.excepted = true;
    return n > 0 || this.interpretNext ? n : -1;
  }

  /**
   * Runs one instruction a unit has no code for, with the interpreter's executor
   * (the same dispatch as interp.ts's default case). The unit has stored the
   * registers and flags; returns 1 if the instruction took an exception or exit.
   */
  private helper(insn: number, op: number, pc: number): number {
    const cpu = this.cpu;
    if (op < 0) {
      // A compiled load's or store's TLB miss (tlb-fill.ts): insn, pc = the address's halves.
      const answer = fillHelper(cpu, insn, op, pc);
      if (answer === FILLED) this.stats.exits.filled++;
      return answer;
    }
    if (op >= 128 && op < 192) return sysHelper(cpu, insn, op, pc); // emit-sys.ts
    const i32 = this.i32;
    const flags = CB_FLAGS >> 2;
    if (op >= SIMD_OP_BASE && !cpu.fpEnabled()) return 2; // the unit bails: the trap is taken there
    cpu.nf = i32[flags]!;
    cpu.zf = i32[flags + 1]!;
    cpu.cf = i32[flags + 2]!;
    cpu.vf = i32[flags + 3]!;
    cpu.pc = pc;
    cpu.insn = insn;
    try {
      if (op >= SIMD_OP_BASE) {
        // UNDEFINED encodings are found before anything is written (simd/execute.ts):
        // decline, and the unit bails to the interpreter, which raises the exception.
        if (!executeSimd(cpu, op, insn)) return 2;
      } else if (op >= 256) {
        cpu.checkFpAccess();
        execFpMemory(cpu, op, insn);
      } else if (op >= 192) execMemory(cpu, op, insn);
      else execDataProcessing(cpu, op, insn);
    } catch (e) {
      if (e !== INSTRUCTION_ABORTED) throw e;
      return 1;
    }
    i32[flags] = cpu.nf;
    i32[flags + 1] = cpu.zf;
    i32[flags + 2] = cpu.cf;
    i32[flags + 3] = cpu.vf;
    return 0;
  }

  /**
   * Generates the unit entering at word `start` and queues it: units are compiled
   * together (batch.ts) once BATCH are waiting or the code waiting for them got hot.
   */
  private compile(
    cpu: CpuState,
    words: Int32Array,
    ops: Uint16Array,
    pj: PageJit,
    start: number,
  ): Entry | null {
    const t0 = performance.now();
    // Refresh the decoded words from memory (the interpreter decodes lazily).
    const view = cpu.fetchView;
    const add = cpu.fetchAdd;
    const stop = Math.min(1024, start + MAX_UNIT + 1);
    for (let w = start; w < stop; w++) {
      const insn = view.getInt32(add + w * 4, true);
      if (words[w] !== insn) {
        words[w] = insn;
        ops[w] = this.decoder.decode(insn);
      }
    }
    const region = scanRegion(words, ops, start);
    if (region.end === start) {
      pj.entries[start] = null;
      return null;
    }
    const code = compileRegion(words, ops, region);
    // The unit's other block leaders wait for it too, instead of becoming units of
    // their own when they get hot before its module is ready.
    for (const w of region.leaders) if (pj.entries[w] === undefined) pj.entries[w] = PENDING;
    this.batcher.add({ pj, gen: pj.gen, leaders: region.leaders, code });
    this.stats.compileMs += performance.now() - t0;
    return pj.entries[start] ?? null;
  }

  /**
   * Instantiates a compiled batch and installs its units' entries: only those whose
   * page was not dropped since they were generated (a dropped page's words changed;
   * installing them would bring it back, if only until its code check).
   */
  private install(batch: Batch, compiled: WebAssembly.Module): void {
    // Time on this thread: a batch compiled in place is inside compile()'s or enter()'s.
    const t0 = batch.background ? performance.now() : NaN;
    if (batch.background) this.stats.background++;
    const live = batch.items.filter((q) => q.pj.gen === q.gen);
    if (live.length === 0) {
      this.stats.discarded++;
      return;
    }
    const cost = batch.bytes.length + MODULE_COST;
    if (this.retained + cost > this.cacheLimit) this.flush();
    const instance = new WebAssembly.Instance(compiled, this.imports as never);
    const n = batch.items.length;
    if (this.used + n * 8 > HASH_SLOTS * 0.6 || this.nextSlot + n > 1 << 22) this.flush();
    if (this.table.length < this.nextSlot + n) this.table.grow(Math.max(256, n));
    this.retained += cost;
    this.stats.modules++;
    const share = Math.ceil(batch.bytes.length / n);
    batch.items.forEach((q, i) => {
      const pj = q.pj;
      if (pj.gen !== q.gen) return;
      const fn = instance.exports[String(i)] as UnitFn;
      const slot = this.nextSlot++;
      this.table.set(slot, fn);
      q.leaders.forEach((w, block) => {
        if (pj.entries[w] && pj.entries[w] !== PENDING) return;
        pj.entries[w] = { fn, block };
        pj.slots.push(this.insert(pj.add + w * 4, hashValue(slot, block)));
      });
      pj.bytes += share;
      this.stats.codeBytes += share;
      this.pages.add(pj);
      this.stats.units++;
    });
    if (batch.background) this.stats.compileMs += performance.now() - t0;
  }

  /**
   * A background compile failed (V8 out of code space, say): the units' entries run
   * in the interpreter from now on (null), rather than retrying for ever.
   */
  private failed(batch: Batch): void {
    this.stats.failed++;
    for (const q of batch.items) {
      const lead = q.leaders[0]!;
      if (q.pj.gen !== q.gen) continue;
      for (const w of q.leaders) if (q.pj.entries[w] === PENDING) q.pj.entries[w] = undefined;
      if (q.pj.entries[lead] === undefined) q.pj.entries[lead] = null;
    }
  }

  /** Adds an entry to the hash (dispatch.ts): its slot. */
  private insert(key: number, value: number): number {
    const h = this.hashView;
    let s = hashSlot(key);
    while (h[s * 2] !== 0) s = (s + 1) & (HASH_SLOTS - 1);
    h[s * 2] = key;
    h[s * 2 + 1] = value;
    this.used++;
    return s;
  }

  /**
   * Drops a page's units. When its code changed (`stale`), also those still waiting
   * for a module: they were generated from the old words.
   */
  private drop(pj: PageJit, stale: boolean): void {
    if (stale) pj.gen++;
    for (const s of pj.slots) this.hashView[s * 2] = TOMBSTONE;
    pj.slots.length = 0;
    pj.entries.fill(undefined);
    pj.heat.fill(0);
    this.stats.codeBytes -= pj.bytes;
    pj.bytes = 0;
    this.pages.delete(pj);
  }

  /**
   * Drops every unit (the code cache is full). Units still queued or compiling stay:
   * their code is current, installed into the emptied cache when their module is.
   */
  flush(): void {
    for (const pj of [...this.pages]) this.drop(pj, false);
    this.hashView.fill(0);
    this.used = 0;
    // The table is what keeps the modules alive: empty it so V8 can collect them.
    for (let slot = 0; slot < this.nextSlot; slot++) this.table.set(slot, null);
    this.nextSlot = 0;
    this.retained = 0;
    this.stats.modules = 0;
    this.stats.flushes++;
  }
}
