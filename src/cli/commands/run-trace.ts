// `gunyah run --trace <file> [--trace-filter hvc,rpc,...] [--trace-limit <events>]`:
// the Tracer every layer records to, streaming to the file, and its trailer.

import { DEFAULT_TRACE_LIMIT, parseTraceFilter, Tracer } from "../../lib/trace.js";
import { TraceFileWriter } from "../trace-file.js";

export interface TraceOptions {
  readonly trace?: string;
  readonly traceFilter?: string;
  readonly traceLimit?: string;
}

export interface OpenTrace {
  readonly tracer: Tracer;
  /** Writes the trailer (counts, drops) and closes the file. */
  finish(): void;
}

/** The --trace-limit value: a whole number of events above 0. */
function parseLimit(text: string | undefined): number | string {
  if (text === undefined) return DEFAULT_TRACE_LIMIT;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1)
    return `--trace-limit: "${text}" is not a whole number of events above 0`;
  return n;
}

/** Undefined without --trace; a message for a bad option or an unwritable file. */
export function openTrace(options: TraceOptions): OpenTrace | string | undefined {
  if (options.trace === undefined) {
    if (options.traceFilter !== undefined || options.traceLimit !== undefined)
      return "--trace-filter and --trace-limit need --trace <file>";
    return undefined;
  }
  const filter = parseTraceFilter(options.traceFilter ?? "all");
  if ("error" in filter) return `--trace-filter: ${filter.error}`;
  const limit = parseLimit(options.traceLimit);
  if (typeof limit === "string") return limit;
  const file = TraceFileWriter.open(options.trace);
  if (typeof file === "string") return file;
  const tracer = new Tracer({ sink: file.write, categories: filter.mask, limit });
  return {
    tracer,
    finish: () => file.close({ ...tracer.summary(), producer: "gunyah run" }),
  };
}
