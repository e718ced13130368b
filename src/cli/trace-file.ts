// Streams a Tracer's events to a file in the trace-event JSON Object Format, as
// lib/trace-json.ts spells it (the browser page's "Download trace" gives the same text).
// Events are written as they come, in chunks, so memory stays flat on a long run and
// a run that dies still leaves every chunk written so far (Perfetto and
// chrome://tracing accept a truncated event array; `gunyah trace summary` names the
// file as truncated). The trailer records what the tracer kept and dropped.

import { closeSync, openSync, writeSync } from "node:fs";
import type { TraceEvent, TraceSummaryData } from "../lib/trace.js";
import { TRACE_FILE_HEAD, traceFileEvent, traceFileTail } from "../lib/trace-json.js";

/** Bytes buffered before a write: one syscall per ~1 MiB of events. */
const CHUNK = 1 << 20;

export class TraceFileWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private first = true;
  private closed = false;
  private bytes = 0;

  private constructor(
    private readonly fd: number,
    readonly path: string,
  ) {
    this.put(TRACE_FILE_HEAD);
  }

  /** Opens (truncates) `path`; a message if it cannot be written. */
  static open(path: string): TraceFileWriter | string {
    try {
      return new TraceFileWriter(openSync(path, "w"), path);
    } catch (e) {
      return `--trace ${path}: ${(e as Error).message}`;
    }
  }

  /** The sink to give the Tracer. */
  readonly write = (event: TraceEvent): void => {
    if (this.closed) return;
    this.put(traceFileEvent(event, this.first));
    this.first = false;
  };

  /** Bytes written so far (after close: the file's size). */
  get size(): number {
    return this.bytes + this.pendingBytes;
  }

  /** Ends the array and writes the trailer; later events are ignored. */
  close(summary: TraceSummaryData & Record<string, unknown>): void {
    if (this.closed) return;
    this.put(traceFileTail(summary));
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private put(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= CHUNK) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.pendingBytes = 0;
    this.bytes += writeSync(this.fd, text);
  }
}
