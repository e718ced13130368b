// `gunyah trace summary <file>`: the table to read before opening a viewer. Parses a
// trace-event JSON file (the Object Format `gunyah run --trace` writes, or a bare
// event array), checks every event has the fields the format requires, and counts:
// events and host time per category, the top hypercalls, RPC messages, MMIO
// registers and exit kinds, the RPC sequence, and exits per second of guest time.
// The file is untrusted input: anything malformed is a clear error, never a throw.

export interface ParsedTrace {
  readonly events: readonly CheckedEvent[];
  readonly otherData: Readonly<Record<string, unknown>>;
}

export interface CheckedEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: string;
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Readonly<Record<string, unknown>>;
}

const PHASES = new Set(["B", "E", "X", "i", "I", "M", "b", "e", "n", "s", "t", "f", "C", "P", "O"]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses and checks a trace file's text; a message says what is wrong with it. */
export function parseTrace(text: string): ParsedTrace | string {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    if (text.startsWith('{"traceEvents":['))
      return "the trace is truncated (the run that wrote it did not finish)";
    return `not a trace-event JSON file: ${(e as Error).message}`;
  }
  const list = Array.isArray(root) ? root : isRecord(root) ? root.traceEvents : undefined;
  if (!Array.isArray(list)) return "not a trace-event file: no traceEvents array";
  const otherData = isRecord(root) && isRecord(root.otherData) ? root.otherData : {};
  const events: CheckedEvent[] = [];
  for (let i = 0; i < list.length; i++) {
    const checked = checkEvent(list[i]);
    if (typeof checked === "string") return `event ${i}: ${checked}`;
    events.push(checked);
  }
  return { events, otherData };
}

/** The fields every event needs (Trace Event Format: name, ph, ts, pid, tid). */
function checkEvent(e: unknown): CheckedEvent | string {
  if (!isRecord(e)) return "not an object";
  const { name, ph, ts, pid, tid, dur, cat, args } = e;
  if (typeof ph !== "string" || !PHASES.has(ph)) return `bad phase ${JSON.stringify(ph)}`;
  if (typeof name !== "string") return "no name";
  if (typeof ts !== "number" || !Number.isFinite(ts)) return "no numeric ts";
  if (typeof pid !== "number" || typeof tid !== "number") return "no numeric pid and tid";
  if (dur !== undefined && (typeof dur !== "number" || !(dur >= 0))) return "bad dur";
  if (ph === "X" && dur === undefined) return "a complete event without dur";
  return {
    name,
    ph,
    ts,
    pid,
    tid,
    cat: typeof cat === "string" ? cat : "",
    dur: typeof dur === "number" ? dur : 0,
    args: isRecord(args) ? args : {},
  };
}

interface Tally {
  count: number;
  us: number;
  errors: number;
}

function add(map: Map<string, Tally>, key: string, us: number, error: boolean): void {
  const t = map.get(key) ?? { count: 0, us: 0, errors: 0 };
  t.count++;
  t.us += us;
  if (error) t.errors++;
  map.set(key, t);
}

export interface TraceSummary {
  readonly events: number;
  readonly dropped: number | undefined;
  readonly categories: Map<string, Tally>;
  readonly hypercalls: Map<string, Tally>;
  readonly rpc: Map<string, Tally>;
  readonly rpcSequence: readonly string[];
  readonly mmio: Map<string, Tally>;
  readonly exits: Map<string, Tally>;
  /** "raise SPI 33 doorbell", "deliver PPI 27": what happened to which interrupt. */
  readonly irqs: Map<string, Tally>;
  readonly guestSeconds: number | undefined;
}

/** Exit-category events that are slices or time jumps rather than exits. */
const NOT_EXITS = new Set(["run", "idle_jump"]);

export function summarize(trace: ParsedTrace): TraceSummary {
  const s = {
    categories: new Map<string, Tally>(),
    hypercalls: new Map<string, Tally>(),
    rpc: new Map<string, Tally>(),
    mmio: new Map<string, Tally>(),
    exits: new Map<string, Tally>(),
    irqs: new Map<string, Tally>(),
  };
  const rpcSequence: { ts: number; name: string }[] = [];
  let gtMin = Infinity;
  let gtMax = -Infinity;
  let events = 0;
  for (const e of trace.events) {
    if (e.ph === "M") continue;
    events++;
    const gt = e.args.gt;
    if (typeof gt === "number") {
      gtMin = Math.min(gtMin, gt);
      gtMax = Math.max(gtMax, gt);
    }
    add(s.categories, e.cat || "(none)", e.dur, false);
    const error = typeof e.args.error === "string" && e.args.error !== "OK";
    if (e.cat === "hvc") add(s.hypercalls, e.name, e.dur, error);
    if (e.cat === "rpc") {
      add(s.rpc, e.name, e.dur, error);
      if (e.ph === "X") rpcSequence.push({ ts: e.ts, name: e.name });
    }
    if (e.cat === "irq") {
      const { kind, intid, source } = e.args;
      const what = `${e.name.replace(/^irq /, "")} ${String(kind)} ${String(intid)}`;
      add(s.irqs, typeof source === "string" ? `${what} ${source}` : what, e.dur, false);
    }
    if (e.cat === "exit") {
      if (e.name.startsWith("mmio ")) add(s.mmio, e.name.slice(5), e.dur, e.args.refused === true);
      else if (!NOT_EXITS.has(e.name)) add(s.exits, e.name, e.dur, false);
    }
  }
  rpcSequence.sort((a, b) => a.ts - b.ts);
  const freq = trace.otherData.counterFrequency;
  const span = gtMax - gtMin;
  const dropped = trace.otherData.droppedEvents;
  return {
    ...s,
    events,
    dropped: typeof dropped === "number" ? dropped : undefined,
    rpcSequence: rpcSequence.map((r) => r.name),
    guestSeconds: typeof freq === "number" && freq > 0 && span > 0 ? span / freq : undefined,
  };
}

const TOP = 10;

function ms(us: number): string {
  return (us / 1000).toFixed(1);
}

function table(title: string, map: Map<string, Tally>, withErrors: boolean): string[] {
  if (map.size === 0) return [];
  const rows = [...map].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  const width = Math.max(...rows.slice(0, TOP).map(([k]) => k.length), title.length);
  const head = `${title.padEnd(width)}  ${"count".padStart(9)}  ${"host ms".padStart(10)}`;
  const out = [withErrors ? `${head}  ${"errors".padStart(6)}` : head];
  for (const [k, t] of rows.slice(0, TOP)) {
    const line = `${k.padEnd(width)}  ${String(t.count).padStart(9)}  ${ms(t.us).padStart(10)}`;
    out.push(withErrors ? `${line}  ${String(t.errors).padStart(6)}` : line);
  }
  if (rows.length > TOP) out.push(`(${rows.length - TOP} more)`);
  return [...out, ""];
}

/** The text `gunyah trace summary` prints. */
export function formatSummary(s: TraceSummary): string {
  const lines: string[] = [];
  const dropped = s.dropped === undefined ? "" : `, ${s.dropped} dropped`;
  const guest =
    s.guestSeconds === undefined ? "" : `, ${s.guestSeconds.toPrecision(3)} s of guest time`;
  lines.push(`${s.events} events${dropped}${guest}`, "");
  lines.push(...table("category", s.categories, false));
  lines.push(...table("hypercall", s.hypercalls, true));
  lines.push(...table("RPC message", s.rpc, true));
  if (s.rpcSequence.length > 0)
    lines.push(`RPC sequence: ${s.rpcSequence.slice(0, 16).join(" ")}`, "");
  lines.push(...table("MMIO register", s.mmio, true));
  lines.push(...table("exit", s.exits, false));
  lines.push(...table("interrupt", s.irqs, false));
  let exits = 0;
  for (const t of s.exits.values()) exits += t.count;
  if (s.guestSeconds !== undefined)
    lines.push(`exits per second of guest time: ${Math.round(exits / s.guestSeconds)}`);
  return `${lines.join("\n").trimEnd()}\n`;
}
