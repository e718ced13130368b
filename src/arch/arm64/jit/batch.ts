// Turns queued units into WebAssembly modules, on this thread or in the background.
// V8's cost is mostly per module and per byte of code (README.md, "Compile cost"), so
// the tier queues the units it generates and compiles them together. Two ways:
//  - `sync`: `new WebAssembly.Module` on the spot; the guest waits for the compile.
//  - `async`: `WebAssembly.compile`, which V8 runs on its background threads while the
//    interpreter keeps running the code cold; the module is installed when the promise
//    resolves, which takes an event loop turn (`gunyah run` yields at every slice end).
//    Where no turn comes (a synchronous run loop), a batch that code keeps waiting for
//    is finally compiled here after all (`overdue`), so nothing waits for ever.
// Compile timing never changes what the guest sees: units retire exactly what the
// interpreter would, and a unit is installed only if its page was not dropped since it
// was generated (PageJit.gen; the words are also checked against memory on first run).

import type { PageJit } from "./page.js";
import type { FunctionCode } from "./wasm-emit.js";
import { compileBatch } from "./compile.js";

export type CompileMode = "sync" | "async";

/** A generated unit waiting for its module. */
export interface Queued {
  readonly pj: PageJit;
  /** pj.gen when the unit was generated: a page dropped since must not get it back. */
  readonly gen: number;
  readonly leaders: readonly number[];
  readonly code: FunctionCode;
}

/** Units compiled together: function i of the module is items[i]'s unit. */
export interface Batch {
  readonly items: readonly Queued[];
  readonly bytes: Uint8Array;
  /** Compiled in the background (async), not on the spot. */
  background: boolean;
  /** Installed, discarded or failed: a late promise result is ignored. */
  settled: boolean;
}

/** What the tier does with a compiled batch (tier.ts install) or a failed one. */
export interface BatchSink {
  install(batch: Batch, compiled: WebAssembly.Module): void;
  failed(batch: Batch, error: unknown): void;
  /** The number of batches compiling in the background changed. */
  changed(compiling: number): void;
}

/** Units per module (measured: see README.md). */
export const BATCH = 16;
/**
 * Times `overdue` finds the queue empty but batches in flight before it compiles the
 * oldest one here: without an event loop turn the background result never arrives.
 */
const JOIN_AFTER = 8;

export class Batcher {
  private queue: Queued[] = [];
  /** Batches being compiled in the background, oldest first. */
  private readonly inFlight: Batch[] = [];
  private waits = 0;

  constructor(
    readonly mode: CompileMode,
    /** Units per module: 1 when everything is compiled at once (threshold 0, tests). */
    private readonly size: number,
    private readonly sink: BatchSink,
  ) {}

  /** Queues a unit; compiles the queue once it holds a module's worth. */
  add(item: Queued): void {
    this.queue.push(item);
    if (this.queue.length >= this.size) this.compileQueue();
  }

  /**
   * Code waits for queued units: compile the queue now; if it is empty, the units are
   * in flight, and after JOIN_AFTER calls without their promise resolving the oldest
   * batch is compiled on this thread.
   */
  overdue(): void {
    if (this.queue.length > 0) {
      this.compileQueue();
      return;
    }
    const oldest = this.inFlight[0];
    if (oldest === undefined || ++this.waits < JOIN_AFTER) return;
    this.waits = 0;
    this.inFlight.shift();
    this.sink.changed(this.inFlight.length);
    this.settleHere(oldest);
  }

  /** Compiles the queued units as one module (sync) or starts compiling them (async). */
  compileQueue(): void {
    const items = this.queue;
    if (items.length === 0) return;
    this.queue = [];
    const batch: Batch = {
      items,
      bytes: compileBatch(items.map((q) => q.code)),
      background: false,
      settled: false,
    };
    if (this.mode === "sync") {
      this.settleHere(batch);
      return;
    }
    this.inFlight.push(batch);
    this.sink.changed(this.inFlight.length);
    WebAssembly.compile(batch.bytes as Uint8Array<ArrayBuffer>).then(
      (compiled) => this.arrived(batch, compiled as WebAssembly.Module),
      (error: unknown) => this.arrived(batch, undefined, error),
    );
  }

  private settleHere(batch: Batch): void {
    batch.settled = true;
    const compiled = new WebAssembly.Module(batch.bytes as Uint8Array<ArrayBuffer>);
    this.sink.install(batch, compiled as WebAssembly.Module);
  }

  private arrived(batch: Batch, compiled: WebAssembly.Module | undefined, error?: unknown): void {
    if (batch.settled) return;
    batch.settled = true;
    batch.background = true;
    const at = this.inFlight.indexOf(batch);
    if (at >= 0) this.inFlight.splice(at, 1);
    this.sink.changed(this.inFlight.length);
    this.waits = 0;
    // A promise callback must not throw: nothing would catch it and Node would exit.
    try {
      if (compiled === undefined) this.sink.failed(batch, error);
      else this.sink.install(batch, compiled);
    } catch (e) {
      this.sink.failed(batch, e);
    }
  }
}
