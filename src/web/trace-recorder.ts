// The worker's side of the page's trace: a Tracer (lib/trace.ts, the one every layer
// records to under `gunyah run --trace`) whose sink keeps two things:
// - the whole trace as the text of the file `gunyah run --trace` writes
//   (lib/trace-json.ts), bounded by the tracer's limit like --trace-limit, for
//   "Download trace";
// - per category, a ring of the latest RING events for the live view, handed to the
//   page in batches every BATCH_MS (one postMessage per batch, never one per event).

import { TraceTextCollector } from "../lib/trace-json.js";
import { Tracer, parseTraceFilter, type TraceEvent } from "../lib/trace.js";
import type { TraceBatch, TraceRequest, TraceRow } from "./protocol.js";

/** Events of one category the live view can show at once (and one batch carries). */
export const RING = 256;
const BATCH_MS = 250;

/** The page's event: what the live view shows of a TraceEvent. */
export function traceRow(e: TraceEvent): TraceRow {
  return {
    ts: e.ts,
    cat: e.cat ?? "",
    name: e.name,
    vm: e.pid,
    vcpu: e.tid,
    ...(e.dur !== undefined ? { dur: e.dur } : {}),
    ...(e.args ? { args: e.args } : {}),
  };
}

/** The latest RING events of one category, and how many it has taken in. */
class Ring {
  private readonly events: (TraceEvent | undefined)[] = new Array<TraceEvent | undefined>(RING);
  written = 0;
  sent = 0;

  put(event: TraceEvent): void {
    this.events[this.written % RING] = event;
    this.written++;
  }

  /** The events since the last take that the ring still holds, and how many it lost. */
  take(): { events: TraceEvent[]; skipped: number } {
    const from = Math.max(this.sent, this.written - RING);
    const events: TraceEvent[] = [];
    for (let i = from; i < this.written; i++) {
      const e = this.events[i % RING];
      if (e) events.push(e);
    }
    const skipped = from - this.sent;
    this.sent = this.written;
    return { events, skipped };
  }
}

export class TraceRecorder {
  readonly tracer: Tracer;
  private readonly text = new TraceTextCollector();
  /**
   * One ring per category: a burst in one layer (the RM's page recovery makes tens of
   * thousands of addrspace_lookup calls as a VM goes) cannot push the others' latest
   * events out of the view.
   */
  private readonly rings = new Map<string, Ring>();
  private lastDropped = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  /** A recorder for the page's request; a message if its filter or limit is bad. */
  static open(req: TraceRequest, post: (batch: TraceBatch) => void): TraceRecorder | string {
    const filter = parseTraceFilter(req.filter);
    if ("error" in filter) return `trace filter: ${filter.error}`;
    if (!Number.isSafeInteger(req.limit) || req.limit < 1)
      return `trace limit: ${req.limit} is not a whole number of events above 0`;
    return new TraceRecorder(filter.mask, req.limit, post);
  }

  private constructor(
    categories: number,
    limit: number,
    private readonly post: (batch: TraceBatch) => void,
  ) {
    this.tracer = new Tracer({ sink: this.record, categories, limit });
    this.timer = setInterval(() => this.flush(), BATCH_MS);
  }

  private readonly record = (event: TraceEvent): void => {
    this.text.write(event);
    if (event.ph === "M") return; // names of VMs and vCPUs: in the file, not the view
    const cat = event.cat ?? "";
    let ring = this.rings.get(cat);
    if (!ring) this.rings.set(cat, (ring = new Ring()));
    ring.put(event);
  };

  /** Posts the events the page has not seen (at most each ring's latest), if any. */
  flush(): void {
    const dropped = this.tracer.droppedEvents;
    let fresh = dropped !== this.lastDropped;
    for (const ring of this.rings.values()) fresh ||= ring.written !== ring.sent;
    if (!fresh) return;
    this.lastDropped = dropped;
    const events: TraceEvent[] = [];
    let skipped = 0;
    for (const ring of this.rings.values()) {
      const taken = ring.take();
      events.push(...taken.events);
      skipped += taken.skipped;
    }
    events.sort((a, b) => a.ts - b.ts);
    this.post({
      events: events.map(traceRow),
      skipped,
      recorded: this.tracer.recordedEvents,
      dropped,
      bytes: this.text.size,
    });
  }

  /** The trace file as `gunyah run --trace` would have written it so far. */
  file(): Blob {
    const summary = { ...this.tracer.summary(), producer: "gunyah web" };
    return new Blob(this.text.parts(summary), { type: "application/json" });
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
