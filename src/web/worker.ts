// The VM's Web Worker: one boot request -> the platform (hypervisor, RM, host VM) ->
// the VMM's runVm, exactly as `gunyah run` does it, with the console and the files
// coming from the page by postMessage. The page owns the worker's life: it starts a
// fresh one per boot and terminates it if a stop does not finish.

import { setLogSink } from "../lib/log.js";
import { bootPlatform, type Platform } from "../platform/index.js";
import {
  ExitCode,
  describeStartError,
  memoryFiles,
  openHostPort,
  parseRtcBase,
  platformRamFor,
  rtcTimeBase,
  runVm,
  validateConfig,
  type Machine,
} from "../vmm/index.js";
import { MemoryMeter } from "./memory-meter.js";
import { OutputBatcher } from "./output-batcher.js";
import type { BootRequest, PageToWorker, VmState, WorkerToPage } from "./protocol.js";
import { TraceRecorder } from "./trace-recorder.js";
import { StatsSampler } from "./worker-stats.js";

/** The worker's global scope, as far as this file uses it. */
interface WorkerScope {
  postMessage(message: WorkerToPage, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<PageToWorker>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const post = (m: WorkerToPage, transfer?: Transferable[]) => scope.postMessage(m, transfer);

let booted = false;
let machine: Machine | undefined;
let stopRequested = false;
let inputSink: ((bytes: Uint8Array) => void) | undefined;
let sampler: StatsSampler | undefined;
let trace: TraceRecorder | undefined;

function setState(state: VmState): void {
  sampler?.setState(state);
  post({ type: "state", state });
}

scope.onmessage = (event) => {
  const m = event.data;
  switch (m.type) {
    case "boot":
      if (booted) return post({ type: "log", line: "web: this worker already ran a VM" });
      booted = true;
      void boot(m);
      return;
    case "input":
      if (m.bytes instanceof Uint8Array) inputSink?.(m.bytes);
      return;
    case "trace-file":
      if (trace) post({ type: "trace-file", file: trace.file() });
      return;
    case "stop":
      stopRequested = true;
      if (machine) setState("stopping");
      machine?.interrupt("stopped from the page");
      return;
  }
};

function finish(code: number, message: string): void {
  sampler?.stop();
  // The page ends this worker at the verdict: the last events and the file go first.
  trace?.stop();
  if (trace) post({ type: "trace-file", file: trace.file() });
  setState("stopped");
  post({ type: "verdict", verdict: { code, message } });
}

async function boot(req: BootRequest): Promise<void> {
  setState("booting");
  setLogSink((line) => post({ type: "log", line }));
  const files = new Map([[req.kernel.name, req.kernel.bytes]]);
  if (req.initrd) files.set(req.initrd.name, req.initrd.bytes);
  const resources = await validateConfig(
    {
      kernelPath: req.kernel.name,
      ...(req.initrd ? { initrdPath: req.initrd.name } : {}),
      ...(req.append ? { bootargs: req.append } : {}),
      ...(req.memory ? { memory: req.memory } : {}),
      ...(req.cpus ? { cpus: req.cpus } : {}),
    },
    memoryFiles(files),
  );
  if (!resources.ok) return finish(ExitCode.START_FAILED, describeStartError(resources.error));
  // As `gunyah run --rtc-base`: a malformed time stops the boot before any VM exists,
  // with the CLI's message and exit code.
  const rtcBase = req.rtcBase === undefined ? undefined : parseRtcBase(req.rtcBase);
  if (typeof rtcBase === "string") return finish(ExitCode.START_FAILED, rtcBase);

  if (req.trace) {
    const opened = TraceRecorder.open(req.trace, (batch) => post({ type: "trace", batch }));
    if (typeof opened === "string") return finish(ExitCode.START_FAILED, opened);
    trace = opened;
  }
  const tracer = trace?.tracer;

  let platform: Platform;
  try {
    platform = bootPlatform({
      ramSize: platformRamFor(resources.value.memorySize),
      ...(tracer ? { tracer } : {}),
    });
  } catch (e) {
    return finish(ExitCode.START_FAILED, `platform boot failed: ${String(e)}`);
  }
  const opened = await openHostPort(
    { guestMemory: resources.value.memorySize, ...(tracer ? { tracer } : {}) },
    { platform },
  );
  if (typeof opened === "string") return finish(ExitCode.START_FAILED, opened);
  const meter = new MemoryMeter();
  const host = meter.wrap(opened);

  const output = new OutputBatcher((bytes) => post({ type: "console", bytes }, [bytes.buffer]));
  let verdict: { code: number; message: string };
  try {
    const r = await runVm(host, {
      resources: resources.value,
      disks: (req.disks ?? []).map((d) => ({ bytes: d.bytes })),
      ...(tracer ? { tracer } : {}),
      // The vRTC (a PL031) starts at the page's RTC base, else at the browser's clock
      // (as `gunyah run`'s at --rtc-base, else the host's).
      rtc: { timeBaseNs: rtcTimeBase(rtcBase) },
      console: {
        output: (bytes) => output.write(bytes),
        input: (onData) => {
          inputSink = onData;
          return () => (inputSink = undefined);
        },
      },
      onBuilt: (built) => {
        machine = built;
        sampler = new StatsSampler(platform, meter, resources.value, (stats) =>
          post({ type: "stats", stats }),
        );
        setState("running");
        if (stopRequested) built.interrupt("stopped from the page");
        return undefined;
      },
    });
    output.flush();
    verdict = { code: r.code, message: r.message ?? "guest powered off" };
  } finally {
    host.close?.();
  }
  // After the host's close, as `gunyah run` does: the trace ends with the VM's teardown.
  finish(verdict.code, verdict.message);
}
