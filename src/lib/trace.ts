// Boundary tracing in the Chrome trace-event format (the "JSON Object Format" of
// Google's "Trace Event Format" document, which Perfetto's UI and chrome://tracing
// load). Layers hold an optional Tracer and test `tracer?.enabled(cat)` before they
// build any event, so tracing costs one null check per boundary when it is off.
//
// Events are handed to a sink (the CLI streams them to a file); the tracer bounds
// what it hands over (`limit` events) and counts the rest as dropped, so a long run
// cannot fill the disk. Metadata events (process and thread names) are kept apart
// from the limit: there is one per VM and vCPU. No Node built-ins here: the tracer
// runs in a browser too (performance.now exists there).

/** Categories as bits, so a filter is one AND. */
export const TraceCat = {
  HVC: 1,
  RPC: 2,
  MEM: 4,
  IRQ: 8,
  EXIT: 16,
  VM: 32,
} as const;
export type TraceCat = (typeof TraceCat)[keyof typeof TraceCat];

/** Category names as they appear in `--trace-filter` and in each event's `cat`. */
export const TRACE_CATEGORY_NAMES: Readonly<Record<string, TraceCat>> = {
  hvc: TraceCat.HVC,
  rpc: TraceCat.RPC,
  mem: TraceCat.MEM,
  irq: TraceCat.IRQ,
  exit: TraceCat.EXIT,
  vm: TraceCat.VM,
};
export const ALL_TRACE_CATEGORIES = 0x3f;

const CAT_NAME = new Map<number, string>(
  Object.entries(TRACE_CATEGORY_NAMES).map(([name, bit]) => [bit, name]),
);

/** Parses "hvc,rpc,mem": a mask, or the error for the first unknown name. */
export function parseTraceFilter(text: string): { mask: number } | { error: string } {
  let mask = 0;
  for (const raw of text.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "") continue;
    if (name === "all") {
      mask |= ALL_TRACE_CATEGORIES;
      continue;
    }
    const bit = TRACE_CATEGORY_NAMES[name];
    if (bit === undefined)
      return {
        error: `unknown trace category '${raw.trim()}' (known: ${Object.keys(TRACE_CATEGORY_NAMES).join(", ")})`,
      };
    mask |= bit;
  }
  if (mask === 0) return { error: "the trace filter names no category" };
  return { mask };
}

export type TraceArgs = Record<string, string | number | boolean | undefined>;

/** One trace event (the fields of the format that this tracer uses). */
export interface TraceEvent {
  readonly name: string;
  readonly cat?: string;
  /** X complete, i instant, M metadata, b/e async begin/end. */
  readonly ph: "X" | "i" | "M" | "b" | "e";
  /** Host time, microseconds. */
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  /** Instant scope: thread. */
  readonly s?: "t";
  /** Async events: begin and end share cat, name and id. */
  readonly id?: string;
  readonly args?: TraceArgs;
}

export type TraceSink = (event: TraceEvent) => void;

export interface TracerOptions {
  readonly sink: TraceSink;
  /** Categories to record (default all). */
  readonly categories?: number;
  /** Events to keep before dropping (default 1,000,000). */
  readonly limit?: number;
  /** Host clock in microseconds (default performance.now() * 1000). */
  readonly now?: () => number;
}

export const DEFAULT_TRACE_LIMIT = 1_000_000;

/** What a finished trace records besides its events (the file's otherData). */
export interface TraceSummaryData {
  readonly recordedEvents: number;
  readonly droppedEvents: number;
  readonly limit: number;
  readonly categories: string;
  readonly counterFrequency?: number;
}

export class Tracer {
  /** The categories on; a hook tests it with enabled(). */
  readonly mask: number;
  readonly limit: number;
  private recorded = 0;
  private droppedCount = 0;
  private readonly sink: TraceSink;
  private readonly clock: () => number;
  private readonly named = new Set<string>();
  /** Guest time (the system counter); the hypervisor installs it at boot. */
  private guestClock: (() => bigint) | undefined;
  private counterFrequency: number | undefined;

  constructor(options: TracerOptions) {
    this.sink = options.sink;
    this.mask = options.categories ?? ALL_TRACE_CATEGORIES;
    this.limit = options.limit ?? DEFAULT_TRACE_LIMIT;
    this.clock = options.now ?? (() => performance.now() * 1000);
  }

  enabled(cat: TraceCat): boolean {
    return (this.mask & cat) !== 0;
  }

  /** Host time in microseconds (the `ts` of events; a duration's start). */
  now(): number {
    // Nanosecond resolution is all a viewer shows; fewer digits keep the file small.
    return Math.round(this.clock() * 1000) / 1000;
  }

  /** Installs the system counter as guest time, with its frequency (Hz). */
  setGuestClock(counter: () => bigint, frequency: number): void {
    this.guestClock = counter;
    this.counterFrequency = frequency;
  }

  get droppedEvents(): number {
    return this.droppedCount;
  }

  get recordedEvents(): number {
    return this.recorded;
  }

  /** Something that happened at one moment on (pid, tid). */
  instant(cat: TraceCat, name: string, pid: number, tid: number, args?: TraceArgs): void {
    this.emit({ name, cat: catName(cat), ph: "i", s: "t", ts: this.now(), pid, tid, args });
  }

  /** A slice from `start` (a now() value) to now. */
  complete(
    cat: TraceCat,
    name: string,
    pid: number,
    tid: number,
    start: number,
    args?: TraceArgs,
  ): void {
    const dur = Math.round((this.now() - start) * 1000) / 1000;
    this.emit({ name, cat: catName(cat), ph: "X", ts: start, dur, pid, tid, args });
  }

  /** An async slice that may overlap others (an RPC request until its reply). */
  asyncBegin(cat: TraceCat, name: string, pid: number, id: string, args?: TraceArgs): void {
    this.emit({ name, cat: catName(cat), ph: "b", ts: this.now(), pid, tid: 0, id, args });
  }

  asyncEnd(cat: TraceCat, name: string, pid: number, id: string, args?: TraceArgs): void {
    this.emit({ name, cat: catName(cat), ph: "e", ts: this.now(), pid, tid: 0, id, args });
  }

  /** Names a process (a VM) once; later calls with the same pid are ignored. */
  nameProcess(pid: number, name: string): void {
    this.meta(`p${pid}`, { name: "process_name", ph: "M", ts: 0, pid, tid: 0, args: { name } });
  }

  /** Names a thread (a vCPU, or a VM's kernel) once. */
  nameThread(pid: number, tid: number, name: string): void {
    this.meta(`t${pid}.${tid}`, {
      name: "thread_name",
      ph: "M",
      ts: 0,
      pid,
      tid,
      args: { name },
    });
  }

  /** The counts a trace file records beside its events. */
  summary(): TraceSummaryData {
    const categories = [...CAT_NAME]
      .filter(([bit]) => (this.mask & bit) !== 0)
      .map(([, name]) => name)
      .join(",");
    return {
      recordedEvents: this.recorded,
      droppedEvents: this.droppedCount,
      limit: this.limit,
      categories,
      ...(this.counterFrequency !== undefined ? { counterFrequency: this.counterFrequency } : {}),
    };
  }

  private meta(key: string, event: TraceEvent): void {
    if (this.named.has(key)) return;
    this.named.add(key);
    this.sink(event);
  }

  private emit(event: TraceEvent): void {
    if (this.recorded >= this.limit) {
      this.droppedCount++;
      return;
    }
    this.recorded++;
    const guest = this.guestClock;
    if (guest) {
      const args = (event.args ?? {}) as TraceArgs;
      // Guest time as a number: the counter stays far below 2^53 in any run.
      args.gt = Number(guest());
      this.sink({ ...event, args });
    } else this.sink(event);
  }
}

function catName(cat: TraceCat): string {
  return CAT_NAME.get(cat) ?? "other";
}

/** A hex string for addresses and cap IDs in event args (JSON has no u64). */
export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
