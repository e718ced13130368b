// The text of a trace file, as `gunyah run --trace` writes it and the browser page
// downloads it: the trace-event "JSON Object Format" (Google's "Trace Event Format"
// document), one event per line so the file streams and a truncated one still loads:
//
//   {"traceEvents":[
//   {...},
//   {...}
//   ],"displayTimeUnit":"ns","otherData":{"droppedEvents":0,...}}
//
// No Node built-ins: the CLI writes these pieces to a file descriptor
// (src/cli/trace-file.ts), the page's worker collects them into a Blob.

import type { TraceEvent, TraceSummaryData } from "./trace.js";

/** What opens the file. */
export const TRACE_FILE_HEAD = '{"traceEvents":[\n';

/** One event's text; `first` for the array's first element (no separator before it). */
export function traceFileEvent(event: TraceEvent, first: boolean): string {
  return first ? JSON.stringify(event) : `,\n${JSON.stringify(event)}`;
}

/** What closes the file: the end of the array and the trailer (the tracer's summary). */
export function traceFileTail(summary: TraceSummaryData & Record<string, unknown>): string {
  return `\n],"displayTimeUnit":"ns","otherData":${JSON.stringify(summary)}}\n`;
}

/**
 * Collects a trace file's text in chunks of about `chunk` characters (joining every
 * event's string at once would briefly double the memory of a big trace).
 */
export class TraceTextCollector {
  private readonly chunks: string[] = [];
  private pending: string[] = [TRACE_FILE_HEAD];
  private pendingChars = TRACE_FILE_HEAD.length;
  private first = true;
  private chars = 0;

  constructor(private readonly chunk = 1 << 20) {}

  /** The sink to give the Tracer. */
  readonly write = (event: TraceEvent): void => {
    const text = traceFileEvent(event, this.first);
    this.first = false;
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= this.chunk) this.seal();
  };

  /** Characters so far (the file's size in bytes for ASCII text, which JSON of these events is). */
  get size(): number {
    return this.chars + this.pendingChars;
  }

  /** The file's text so far, closed with `summary`'s trailer (the collector goes on). */
  parts(summary: TraceSummaryData & Record<string, unknown>): string[] {
    this.seal();
    return [...this.chunks, traceFileTail(summary)];
  }

  private seal(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(this.pending.join(""));
    this.chars += this.pendingChars;
    this.pending = [];
    this.pendingChars = 0;
  }
}
