// The page's layer trace: the "Trace" switch and its filter and limit (as `gunyah run
// --trace-filter` and `--trace-limit`), the live view of the latest events the worker
// batches over (trace-recorder.ts), filtered by layer, and "Download trace", which
// saves the file `gunyah run --trace` writes (Perfetto's UI and `gunyah trace summary`
// read both).

import { byId } from "./live-panel.js";
import type { TraceBatch, TraceRequest, TraceRow } from "./protocol.js";

/** Rows the view keeps per layer, and shows at most. */
const KEEP = 256;
/** What the page records when the switch is on and no limit is given: ~60 MB of JSON. */
export const DEFAULT_PAGE_TRACE_LIMIT = 250_000;

function fields(row: TraceRow): string {
  const parts = Object.entries(row.args ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  if (row.dur !== undefined) parts.unshift(`dur=${row.dur.toFixed(1)}µs`);
  return parts.join(" ");
}

export class TraceView {
  /** The latest KEEP rows of each layer (the worker's rings hold as many). */
  private readonly rows = new Map<string, TraceRow[]>();
  private origin: number | undefined;
  private file: Blob | undefined;
  private wantFile = false;

  /** `requestFile` asks the running VM's worker for the trace so far (false: none runs). */
  constructor(private readonly requestFile: () => boolean) {
    byId("trace-layer").addEventListener("change", () => this.render());
    byId("trace-download").addEventListener("click", () => this.download());
  }

  /** The boot request's trace part: undefined when the switch is off. */
  request(): TraceRequest | undefined {
    if (!byId<HTMLInputElement>("trace-on").checked) return undefined;
    const limit = byId<HTMLInputElement>("trace-limit").value.trim();
    return {
      filter: byId<HTMLInputElement>("trace-filter").value.trim() || "all",
      limit: limit === "" ? DEFAULT_PAGE_TRACE_LIMIT : Number(limit),
    };
  }

  /** A new boot: tracing (the view shows its events) or not. */
  reset(tracing: boolean): void {
    this.rows.clear();
    this.origin = undefined;
    this.file = undefined;
    this.wantFile = false;
    byId("trace-status").textContent = tracing ? "recording" : "off (switch it on before a boot)";
    byId<HTMLButtonElement>("trace-download").disabled = !tracing;
    this.render();
  }

  batch(b: TraceBatch): void {
    this.origin ??= b.events[0]?.ts;
    for (const row of b.events) {
      let rows = this.rows.get(row.cat);
      if (!rows) this.rows.set(row.cat, (rows = []));
      rows.push(row);
    }
    for (const rows of this.rows.values())
      if (rows.length > KEEP) rows.splice(0, rows.length - KEEP);
    const mib = (b.bytes / 2 ** 20).toFixed(1);
    byId("trace-status").textContent =
      `${b.recorded.toLocaleString("en-US")} events recorded, ` +
      `${b.dropped.toLocaleString("en-US")} dropped (limit), ${mib} MiB`;
    this.render();
  }

  /** The worker's trace file: on request (save it) or the final one before the verdict. */
  setFile(file: Blob): void {
    this.file = file;
    byId<HTMLButtonElement>("trace-download").disabled = false;
    if (this.wantFile) {
      this.wantFile = false;
      this.save(file);
    }
  }

  private download(): void {
    // While the VM runs, the file so far; after it, the final one the worker sent.
    if (this.requestFile()) this.wantFile = true;
    else if (this.file) this.save(this.file);
  }

  private save(file: Blob): void {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(file);
    a.download = "gunyah-trace.json";
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  }

  private render(): void {
    const layer = byId<HTMLSelectElement>("trace-layer").value;
    const shown =
      layer === "all"
        ? [...this.rows.values()]
            .flat()
            .sort((a, b) => a.ts - b.ts)
            .slice(-KEEP)
        : [...(this.rows.get(layer) ?? [])];
    const origin = this.origin ?? 0;
    byId("trace-rows").replaceChildren(
      ...shown.reverse().map((r) => {
        const tr = document.createElement("tr");
        tr.dataset.cat = r.cat;
        for (const text of [
          ((r.ts - origin) / 1000).toFixed(3),
          r.cat,
          r.name,
          String(r.vm),
          String(r.vcpu),
          fields(r),
        ]) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
  }
}
