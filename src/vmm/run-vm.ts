// One VM run from validated resources to its verdict, for every front end (`gunyah run`
// and the browser page's worker): virtio devices -> machine built -> the caller's
// last look (device tree out, stop handles) -> run to the first outcome -> exit code
// and one-line verdict. Where the console goes and where files come from is the
// caller's business; the policy (which console takes input, shared RAM for device
// DMA) is decided here once.

import type { HypervisorPort } from "./host-port.js";
import type { MachineResources } from "./config.js";
import { buildMachine, type ConsoleIo, type Machine } from "./machine.js";
import {
  ExitCode,
  describeOutcome,
  describeStartError,
  outcomeExitCode,
  type RunOutcome,
} from "./outcome.js";
import {
  virtioDeviceSpecs,
  type DiskOptions,
  type VirtioDeviceOptions,
  type VirtioDevices,
} from "./virtio/index.js";
import type { Tracer } from "../lib/trace.js";

export interface VmRunRequest {
  readonly resources: MachineResources;
  /** UART output, and the user's input: to the UART, or to hvc0 with `virtioConsole`. */
  readonly console: ConsoleIo;
  readonly disks?: readonly DiskOptions[];
  /** Opens a disk given by path (the CLI's files); disks given as bytes need none. */
  readonly openDisk?: VirtioDeviceOptions["openDisk"];
  readonly rng?: boolean;
  /** A virtio console (hvc0) that takes the input instead of the UART. */
  readonly virtioConsole?: boolean;
  /**
   * Called once the machine is built, before VM_START: the caller keeps it to stop it
   * (`machine.interrupt`) or writes its device tree out. A message aborts the start.
   */
  readonly onBuilt?: (machine: Machine) => Promise<string | undefined> | string | undefined;
  /** A debugger may attach (MachineOptions.debug): the machine gets a DebugGate. */
  readonly debug?: { readonly waitForDebugger: boolean };
  /** Called once the VM runs and every vCPU loop is registered (a debugger may attach). */
  readonly onStarted?: (machine: Machine) => void;
  /** Records the MMIO exits the VMM emulates (gunyah run --trace). */
  readonly tracer?: Tracer;
  /** The guest's RTC (MachineOptions.rtc): its time at start, chosen by the caller. */
  readonly rtc?: { readonly timeBaseNs: bigint };
}

export interface VmRunResult {
  /** The process exit code `gunyah run` would give (ExitCode). */
  readonly code: number;
  /** How the run ended; undefined when the machine never started. */
  readonly outcome?: RunOutcome;
  /** The one-line verdict, for anything but a clean power-off. */
  readonly message?: string;
}

const startFailed = (message: string): VmRunResult => ({
  code: ExitCode.START_FAILED,
  message,
});

/** Builds and runs one VM on `host` to its first outcome; the VM is torn down after. */
export async function runVm(host: HypervisorPort, req: VmRunRequest): Promise<VmRunResult> {
  const { input, output } = req.console;
  const toHvc = req.virtioConsole === true;
  const virtio = virtioDeviceSpecs({
    disks: req.disks ?? [],
    rng: req.rng === true,
    ...(req.openDisk ? { openDisk: req.openDisk } : {}),
    ...(toHvc ? { console: { output, ...(input ? { input } : {}) } } : {}),
  });
  if (!virtio.ok) return startFailed(virtio.error);
  const uart: ConsoleIo = { output, ...(input && !toHvc ? { input } : {}) };
  try {
    return await buildAndRun(host, req, uart, virtio.value);
  } finally {
    virtio.value.close();
  }
}

async function buildAndRun(
  host: HypervisorPort,
  req: VmRunRequest,
  uart: ConsoleIo,
  virtio: VirtioDevices,
): Promise<VmRunResult> {
  // Device DMA reaches guest RAM only if the host keeps access to it: with any virtio
  // device all guest RAM is shared (Debian's kernel has no restricted DMA pool).
  const built = await buildMachine(host, req.resources, uart, {
    extraDevices: virtio.specs,
    ...(virtio.specs.length > 0 ? { ramAccess: "share" as const } : {}),
    ...(req.debug ? { debug: req.debug } : {}),
    ...(req.tracer ? { tracer: req.tracer } : {}),
    ...(req.rtc ? { rtc: req.rtc } : {}),
  });
  if (!built.ok) return startFailed(describeStartError(built.error));
  const machine = built.value;
  const refused = await req.onBuilt?.(machine);
  if (refused !== undefined) {
    await machine.close();
    return startFailed(refused);
  }
  const onStarted = req.onStarted;
  const outcome = await machine.run(onStarted ? { started: () => onStarted(machine) } : {});
  const code = outcomeExitCode(outcome);
  return code === ExitCode.OK
    ? { code, outcome }
    : { code, outcome, message: describeOutcome(outcome) };
}
