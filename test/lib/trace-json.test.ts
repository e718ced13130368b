// The trace file's text: the browser page's collector (in chunks) gives byte for byte
// what `gunyah run --trace`'s file writer writes for the same events, and `gunyah trace
// summary`'s parser reads it back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TraceFileWriter } from "../../src/cli/trace-file.js";
import { parseTrace } from "../../src/cli/trace-summary.js";
import { TraceTextCollector, traceFileTail } from "../../src/lib/trace-json.js";
import { TraceCat, Tracer, type TraceSink } from "../../src/lib/trace.js";

function record(sink: TraceSink): Tracer {
  let t = 0;
  const tracer = new Tracer({ sink, limit: 3, now: () => (t += 1.5) });
  tracer.nameProcess(3, "host VM");
  tracer.instant(TraceCat.VM, "vm_created", 3, 0, { vmid: 128 });
  const start = tracer.now();
  tracer.complete(TraceCat.HVC, "vcpu_run", 3, 1, start, { error: "OK", note: 'a "q"' });
  tracer.asyncBegin(TraceCat.RPC, "VM_START", 255, "7");
  tracer.asyncEnd(TraceCat.RPC, "VM_START", 255, "7"); // past the limit: dropped
  return tracer;
}

test("the page's trace text is the CLI's trace file, byte for byte", () => {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-trace-json-"));
  try {
    const path = join(dir, "t.json");
    const writer = TraceFileWriter.open(path);
    assert.ok(typeof writer !== "string");
    const cliTracer = record(writer.write);
    writer.close({ ...cliTracer.summary(), producer: "p" });

    const collector = new TraceTextCollector(16); // tiny chunks: every event seals one
    const webTracer = record(collector.write);
    const text = collector.parts({ ...webTracer.summary(), producer: "p" }).join("");
    assert.equal(text, readFileSync(path, "utf8"));
    const summary = { ...webTracer.summary(), producer: "p" };
    assert.equal(collector.size, text.length - traceFileTail(summary).length);

    const parsed = parseTrace(text);
    assert.ok(typeof parsed !== "string", parsed as string);
    assert.deepEqual(
      parsed.events.map((e) => `${e.ph} ${e.name}`),
      ["M process_name", "i vm_created", "X vcpu_run", "b VM_START"],
    );
    assert.equal(parsed.otherData.droppedEvents, 1);
    assert.equal(parsed.events[2]?.args.note, 'a "q"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
