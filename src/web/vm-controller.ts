// The page's side of the VM: one Web Worker per boot (worker.ts). Starting a boot ends
// the previous worker; a stop asks the VMM to stop the guest (the verdict says so) and,
// should the worker not answer within STOP_GRACE_MS (10 s), terminates it, which frees
// everything the VM held. Reset (the page's) ends the worker and boots the same request again.

import type {
  BootRequest,
  TraceBatch,
  VmState,
  VmStats,
  Verdict,
  WorkerToPage,
} from "./protocol.js";

/**
 * Longer than the VMM needs to stop a guest parked in WFI: Machine.run gives the vCPU
 * loops 2 s to leave, then the host's teardown takes a few seconds (more on a loaded
 * machine; ending the worker then frees everything the VM held all the same).
 */
const STOP_GRACE_MS = 10_000;
/** `gunyah run`'s exit code for a run stopped by the user (128 + SIGINT). */
const INTERRUPTED = 130;

export interface VmEvents {
  console(bytes: Uint8Array): void;
  state(state: VmState): void;
  stats(stats: VmStats): void;
  log(line: string): void;
  trace(batch: TraceBatch): void;
  traceFile(file: Blob): void;
  verdict(verdict: Verdict): void;
}

export class VmController {
  private worker: Worker | undefined;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly workerUrl: URL,
    private readonly events: VmEvents,
  ) {}

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Boots a new VM (ending the current one at once). */
  boot(request: BootRequest): void {
    this.kill();
    const worker = new Worker(this.workerUrl, { type: "module", name: "gunyah-vm" });
    this.worker = worker;
    worker.onmessage = (e: MessageEvent<WorkerToPage>) => {
      if (this.worker === worker) this.dispatch(e.data);
    };
    worker.onerror = (e) => {
      if (this.worker !== worker) return;
      this.kill();
      this.events.verdict({ code: 70, message: `the VM's worker failed: ${e.message}` });
      this.events.state("stopped");
    };
    // A copy (structured clone): the page keeps its files for a reset.
    worker.postMessage(request);
  }

  /** Sends keyboard input or a paste to the guest's console. */
  input(bytes: Uint8Array): void {
    this.worker?.postMessage({ type: "input", bytes });
  }

  /** Asks the running VM for its trace file so far (events.traceFile); false if none runs. */
  requestTraceFile(): boolean {
    this.worker?.postMessage({ type: "trace-file" });
    return this.worker !== undefined;
  }

  /** Stops the guest; the worker is ended if the VMM cannot stop it in time. */
  stop(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ type: "stop" });
    this.stopTimer ??= setTimeout(() => {
      if (this.worker !== worker) return;
      this.kill();
      this.events.state("stopped");
      this.events.verdict({
        code: INTERRUPTED,
        message:
          "guest stopped: stopped from the page (its worker did not answer, so it was ended)",
      });
    }, STOP_GRACE_MS);
  }

  private dispatch(m: WorkerToPage): void {
    switch (m.type) {
      case "console":
        return this.events.console(m.bytes);
      case "state":
        return this.events.state(m.state);
      case "stats":
        return this.events.stats(m.stats);
      case "log":
        return this.events.log(m.line);
      case "trace":
        return this.events.trace(m.batch);
      case "trace-file":
        return this.events.traceFile(m.file);
      case "verdict":
        this.kill();
        return this.events.verdict(m.verdict);
    }
  }

  private kill(): void {
    if (this.stopTimer !== undefined) clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
    this.worker?.terminate();
    this.worker = undefined;
  }
}
