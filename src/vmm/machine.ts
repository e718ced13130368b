// Step 3 and 4 of the machine builder (style rule 7): validated resources -> a built
// VM -> a running VM. The order is fixed and each step depends only on earlier ones:
//
//   1. create the VM and its guest memory            (host: CREATE_VM, CREATE_GUEST_MEM)
//   2. load the kernel and initrd into the memory    (the host still owns the pages)
//   3. attach the devices to the bus, each interrupt line to an irqfd
//   4. write the device tree (from the bus windows and the irqfd doorbells)
//   5. map the memory into the guest, lent          (VM_MAP_MEM)
//   6. name the device-tree range and boot registers (VM_SET_DTB_CONFIG, BOOT_CONTEXT)
//   7. add the vCPU functions, start                 (VM_ADD_FUNCTION, VM_START)
//   8. run one loop per vCPU until the first outcome, then tear down
//
// Any failure before step 8 is one StartError and closes the VM.

import { err, ok, type Result } from "../lib/result.js";
import { invariant } from "../lib/assert.js";
import { RateLimitedLog } from "../lib/log.js";
import type { MmioBus } from "./bus.js";
import { attachDevices, type DeviceSpec } from "./devices.js";
import { guestRam } from "./guest-ram.js";
import { buildGuestDeviceTree, serializeGuestDeviceTree } from "./devicetree.js";
import type { HostFailure, HypervisorPort, VcpuPort, VmPort } from "./host-port.js";
import { MachineLayout } from "./layout.js";
import type { MachineResources } from "./config.js";
import type { RunOutcome, StartError } from "./outcome.js";
import { Pl011 } from "./pl011.js";
import { Stopper, runVcpu } from "./vcpu-loop.js";
import { DebugGate } from "./gdb/gate.js";
import type { Tracer } from "../lib/trace.js";

export interface ConsoleIo {
  /** Where the guest's UART output goes (the CLI: stdout). */
  readonly output: (bytes: Uint8Array) => void;
  /** Subscribes the UART to input; returns an unsubscribe. */
  readonly input?: (onData: (bytes: Uint8Array) => void) => () => void;
}

/** How long the loops get to leave after the outcome is known, before teardown. */
const STOP_GRACE_MS = 2000;
const IMAGE_NAME = "gunyah-ts-guest";

function hostError(step: string, e: HostFailure): Result<never, StartError> {
  return err({ kind: "host", step, message: e.message });
}

export class Machine {
  private running = false;
  private readonly stopper = new Stopper();
  /** All-stop control for a debugger (MachineOptions.debug), else undefined. */
  readonly debugGate: DebugGate | undefined;

  constructor(
    private readonly vm: VmPort,
    private readonly vcpus: readonly VcpuPort[],
    readonly bus: MmioBus,
    readonly uart: Pl011,
    /** The device tree as the VMM wrote it (before the RM's additions). */
    readonly deviceTree: Uint8Array,
    readonly resources: MachineResources,
    private readonly unsubscribeInput: () => void,
    debug?: { readonly waitForDebugger: boolean },
    private readonly tracer?: Tracer,
  ) {
    this.debugGate = debug ? new DebugGate(vcpus, debug.waitForDebugger) : undefined;
  }

  /** Starts the VM and runs it to its first outcome; the VM is torn down afterwards. */
  async run(hooks: { readonly started?: () => void } = {}): Promise<RunOutcome> {
    if (this.running) throw new Error("Machine.run called twice");
    this.running = true;
    const stopper = this.stopper;
    let timer: NodeJS.Timeout | undefined;
    try {
      const started = await this.vm.start();
      if (!started.ok) return { kind: "start-failed", message: started.error.message };
      const seconds = this.resources.timeoutSeconds;
      if (seconds !== undefined)
        timer = setTimeout(() => stopper.stop({ kind: "timeout", seconds }), seconds * 1000);
      const mmioLog = new RateLimitedLog("vmm: mmio");
      const vm = this.vm;
      const trace = this.tracer ? { tracer: this.tracer, vmid: () => vm.vmid ?? 0 } : undefined;
      const loops = this.vcpus.map((v) =>
        runVcpu(v, this.bus, stopper, {
          log: mmioLog,
          onUnbacked: this.resources.onUnbacked ?? "fault",
          ...(this.debugGate ? { gate: this.debugGate } : {}),
          ...(trace ? { trace } : {}),
        }).catch((e: unknown) =>
          stopper.stop({ kind: "host-error", vcpu: v.index, message: String(e) }),
        ),
      );
      // The VM runs and every loop is registered (with the debug gate too).
      hooks.started?.();
      const outcome = await stopper.wait();
      // Loops parked by a debugger must see the outcome too.
      this.debugGate?.shutdown();
      // Give the loops a moment to see immediate_exit; a vCPU parked in WFI may not.
      const grace = delay(STOP_GRACE_MS);
      await Promise.race([Promise.all(loops), grace.done]);
      grace.cancel();
      if (outcome.kind === "crashed" && this.vm.faultReports)
        return { ...outcome, faults: this.vm.faultReports() };
      return outcome;
    } finally {
      if (timer) clearTimeout(timer);
      this.unsubscribeInput();
      await this.vm.close();
    }
  }

  /** Ends the run because the debugger killed the guest. */
  kill(reason: string): void {
    this.stopper.stop({ kind: "interrupted", reason });
  }

  /** Stops a running guest from outside (the user pressed Ctrl-C); the first outcome wins. */
  interrupt(reason: string): void {
    this.stopper.stop({ kind: "interrupted", reason });
  }

  /** Tears down a machine that will not be run. */
  async close(): Promise<void> {
    this.unsubscribeInput();
    await this.vm.close();
  }
}

/** A cancellable delay; the timer stays referenced so the process waits for it. */
function delay(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}

export interface MachineOptions {
  /** Devices beyond the built-in PL011 (virtio-mmio slots), in registration order. */
  readonly extraDevices?: readonly DeviceSpec[];
  /**
   * How guest RAM is given to the guest: "lend" (default; the host loses access, the
   * guest is isolated) or "share" (the host keeps access, as device DMA into guest
   * RAM needs when the guest kernel has no restricted DMA pool).
   */
  readonly ramAccess?: "lend" | "share";
  /**
   * A debugger may attach (gdb/gate.ts): the vCPU loops run under a DebugGate;
   * `waitForDebugger` holds every vCPU before its first instruction.
   */
  readonly debug?: { readonly waitForDebugger: boolean };
  /** Records the MMIO exits the VMM emulates (category "exit"), when tracing. */
  readonly tracer?: Tracer;
  /**
   * A real-time clock: the hypervisor's vRTC, a PL031 at `base` (default
   * MachineLayout.rtc, QEMU virt's address) showing `timeBaseNs` (ns since the Unix
   * epoch) when the VM starts. The caller decides the time (the CLI: the host's clock,
   * or --rtc-base for reproducible runs); none: the guest has no RTC.
   */
  readonly rtc?: { readonly timeBaseNs: bigint; readonly base?: number };
}

/** Steps 1-7. On failure the VM (if created) is closed and the error returned. */
export async function buildMachine(
  host: HypervisorPort,
  res: MachineResources,
  io: ConsoleIo,
  options: MachineOptions = {},
): Promise<Result<Machine, StartError>> {
  // Deterministic turns, unless a debugger may stop and step single vCPUs: a vCPU
  // parked by the gate inside its turn would hold up the others (gdb/gate.ts).
  const vm = await host.createVm({ deterministic: !options.debug });
  if (!vm.ok) return hostError("create a VM", vm.error);
  const built = await buildOnVm(host, vm.value, res, io, options);
  if (!built.ok) await vm.value.close();
  return built;
}

async function buildOnVm(
  host: HypervisorPort,
  vm: VmPort,
  res: MachineResources,
  io: ConsoleIo,
  options: MachineOptions,
): Promise<Result<Machine, StartError>> {
  const ramBase = MachineLayout.ramBase;
  const { plan } = res;

  // 1-2. Guest memory with the kernel and initrd in it.
  const mem = await host.createGuestMemory(res.memorySize);
  if (!mem.ok)
    return hostError(`allocate ${res.memorySize / 2 ** 20} MiB of guest memory`, mem.error);
  const wroteKernel = mem.value.write(plan.kernel.offset, res.kernel.bytes);
  if (!wroteKernel.ok) return hostError("load the kernel", wroteKernel.error);
  if (plan.initrd && res.initrd) {
    const w = mem.value.write(plan.initrd.offset, res.initrd);
    if (!w.ok) return hostError("load the initrd", w.error);
  }

  // 3. Devices on the bus, interrupts through irqfds when the host has them.
  const uartLayout = MachineLayout.uart;
  const uartSpec: DeviceSpec = {
    base: uartLayout.base,
    spi: uartLayout.spi,
    level: true,
    dtKind: "pl011",
    create: (irq) => new Pl011(io.output, irq),
  };
  const ram = guestRam(mem.value, ramBase, res.memorySize);
  const attached = await attachDevices(vm, [uartSpec, ...(options.extraDevices ?? [])], ram);
  if (!attached.ok) return attached;
  const { bus, bells, virtioNodes, devices } = attached.value;
  const uart = devices[0];
  invariant(uart instanceof Pl011, "the UART is the first device");

  // 4. The device tree, written where the plan reserved room for it.
  const fdt = buildGuestDeviceTree({
    imageName: IMAGE_NAME,
    memoryBase: ramBase,
    memorySize: res.memorySize,
    cpus: res.cpus,
    bootargs: res.bootargs,
    ...(plan.initrd
      ? { initrd: { start: ramBase + plan.initrd.offset, size: plan.initrd.size } }
      : {}),
    uart: { base: uartLayout.base, size: uartLayout.size, spi: uartLayout.spi },
    virtio: virtioNodes,
    bells,
    ...(options.rtc ? { rtc: { base: options.rtc.base ?? MachineLayout.rtc.base } } : {}),
  });
  const dtb = serializeGuestDeviceTree(fdt);
  if (dtb.length > plan.dtb.size)
    return err({
      kind: "device",
      message: `device tree is ${dtb.length} bytes, above its ${plan.dtb.size}-byte range`,
    });
  const wroteDtb = mem.value.write(plan.dtb.offset, dtb);
  if (!wroteDtb.ok) return hostError("write the device tree", wroteDtb.error);

  // 5-6. Give the memory to the guest; tell the host where the tree and the entry are.
  const mapped = await vm.mapMemory({
    guestAddr: ramBase,
    memory: mem.value,
    offset: 0,
    size: res.memorySize,
    access: options.ramAccess ?? "lend",
  });
  if (!mapped.ok) return hostError("map guest memory", mapped.error);
  const dtbAddr = ramBase + plan.dtb.offset;
  const dtbConfig = await vm.setDtbConfig(dtbAddr, plan.dtb.size);
  if (!dtbConfig.ok) return hostError("set the device-tree range", dtbConfig.error);
  const pc = await vm.setBootRegister({ set: "pc" }, BigInt(ramBase + plan.entryOffset));
  if (!pc.ok) return hostError("set the entry point", pc.error);
  const x0 = await vm.setBootRegister({ set: "x", index: 0 }, BigInt(dtbAddr));
  if (!x0.ok) return hostError("set X0 to the device tree", x0.error);
  if (options.rtc) {
    if (!vm.setTimeBase) return err({ kind: "device", message: "the host has no vRTC support" });
    const rtc = await vm.setTimeBase(options.rtc.timeBaseNs);
    if (!rtc.ok) return hostError("set the RTC's time base", rtc.error);
  }

  // 7. vCPUs (their loops start in Machine.run, after VM_START).
  const vcpus: VcpuPort[] = [];
  for (let i = 0; i < res.cpus; i++) {
    const v = await vm.addVcpu(i);
    if (!v.ok) return hostError(`add vCPU ${i}`, v.error);
    vcpus.push(v.value);
  }
  const unsubscribe = io.input ? io.input((bytes) => uart.receive(bytes)) : () => {};
  return ok(
    new Machine(vm, vcpus, bus, uart, dtb, res, unsubscribe, options.debug, options.tracer),
  );
}
