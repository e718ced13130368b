// The messages between the page (main.ts) and the VM's Web Worker (worker.ts). The
// worker owns one VM run; the page starts a fresh worker for each boot, so a stop that
// does not finish (a guest parked where immediate_exit cannot reach it) ends with
// worker.terminate() and nothing of the old VM survives into the next one.

/** A file the page hands the worker: a picked or dropped file, or one the server offers. */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface BootRequest {
  readonly type: "boot";
  readonly kernel: NamedBytes;
  readonly initrd?: NamedBytes;
  /** Disk images: virtio-blk vda, vdb, ... in order, held in the worker's memory. */
  readonly disks?: readonly NamedBytes[];
  /** The kernel command line; default the VMM's (console=ttyAMA0 earlycon...). */
  readonly append?: string;
  /** "256M", "1G"... as `gunyah run --memory`. */
  readonly memory?: string;
  readonly cpus?: number;
  /**
   * The time the guest's RTC shows at start, ISO 8601 as `gunyah run --rtc-base`
   * (parsed in the worker by the same parseRtcBase); default the browser's clock.
   */
  readonly rtcBase?: string;
  /** Record the layer trace (`gunyah run --trace`); off by default, as it slows the run. */
  readonly trace?: TraceRequest;
}

/** What to trace: `--trace-filter`'s categories ("all", "hvc,rpc"...) and `--trace-limit`. */
export interface TraceRequest {
  readonly filter: string;
  readonly limit: number;
}

/** One trace event as the page's live view shows it (lib/trace.ts TraceEvent). */
export interface TraceRow {
  /** Host time, microseconds. */
  readonly ts: number;
  /** The category (hvc, rpc, mem, irq, exit, vm): the boundary it crossed. */
  readonly cat: string;
  readonly name: string;
  readonly vm: number;
  readonly vcpu: number;
  readonly dur?: number;
  readonly args?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** The trace events since the last batch (the worker posts one every 250 ms at most). */
export interface TraceBatch {
  /** The newest events, oldest first (at most the worker's ring). */
  readonly events: readonly TraceRow[];
  /** Events recorded since the last batch that the ring no longer held. */
  readonly skipped: number;
  /** The tracer's counts so far (the file's otherData). */
  readonly recorded: number;
  readonly dropped: number;
  /** The trace file's size so far, in bytes. */
  readonly bytes: number;
}

export type PageToWorker =
  | BootRequest
  /** Keyboard input and paste for the guest's UART. */
  | { readonly type: "input"; readonly bytes: Uint8Array }
  /** Stop the guest (the verdict says "stopped from the page"). */
  | { readonly type: "stop" }
  /** Send the trace file as recorded so far. */
  | { readonly type: "trace-file" };

/** Where the VM is in its life, as the page shows it. */
export type VmState = "booting" | "running" | "stopping" | "stopped";

/** Live figures of the run (see worker-stats.ts for where each comes from). */
export interface VmStats {
  readonly state: VmState;
  readonly vcpus: number;
  /** Guest instructions retired by every vCPU so far (the run statistics' total). */
  readonly instructions: number;
  /** Million instructions per second over the last interval (the final one: the run's). */
  readonly mips: number;
  /** Why the vCPUs stopped running, by kind: the run statistics' exits (vmmio, page-fault...). */
  readonly exits: Readonly<Record<string, number>>;
  /** Share of the instructions that ran compiled (0..1), when the JIT tier runs. */
  readonly compiledShare?: number;
  /** Bytes of guest RAM given to the guest: lent (host access removed) and shared. */
  readonly memoryLent: number;
  readonly memoryShared: number;
  readonly guestMemory: number;
  /** Seconds since VM_START. */
  readonly seconds: number;
}

export interface Verdict {
  /** The exit code `gunyah run` gives for the same outcome (0 = powered off). */
  readonly code: number;
  /** `gunyah run`'s one-line verdict ("guest powered off", "guest crashed: ..."). */
  readonly message: string;
}

export type WorkerToPage =
  | { readonly type: "console"; readonly bytes: Uint8Array }
  | { readonly type: "state"; readonly state: VmState }
  | { readonly type: "stats"; readonly stats: VmStats }
  /** A line of the layers' log (RM, host, hypervisor, VMM). */
  | { readonly type: "log"; readonly line: string }
  | { readonly type: "trace"; readonly batch: TraceBatch }
  /** The trace file (`gunyah run --trace`'s format): on request, and before the verdict. */
  | { readonly type: "trace-file"; readonly file: Blob }
  | { readonly type: "verdict"; readonly verdict: Verdict };
