// Platform boot (ARCHITECTURE.md "platform"): the hypervisor starts the Resource
// Manager as its root VM; the RM creates the host VM's cspace, address space (host
// RAM mapped IPA == PA) and RPC message-queue pair by hypercall; the hypervisor turns
// those into a native VM; the RM binds the queue VIRQs and hands the host its caps.
//
// HostBootInfo is the host driver's starting point (what a real host reads from the
// /hypervisor node of its device tree): keep it stable.

import { Hypervisor, type HypervisorOptions, type NativeVm } from "../hyp/index.js";
import { InvariantError } from "../lib/assert.js";
import type { Tracer } from "../lib/trace.js";
import { ResourceManager } from "../rm/index.js";
import { HOST_VMID, PHYS_LAYOUT, RM_VMID } from "./layout.js";

export { GUEST_LAYOUT, PHYS_LAYOUT, HOST_VMID, RM_VMID } from "./layout.js";
/** Per-vCPU run statistics (`platform.hypervisor.vcpuStats()`), for the CLI and benches. */
export type { VcpuStats, JitStats } from "../hyp/index.js";
export { runTotals, type RunTotals } from "./run-totals.js";

export interface PlatformOptions {
  /** Physical RAM size in bytes (default 1 GiB); a multiple of 2 MiB. */
  readonly ramSize?: number;
  /** The RM's own RAM (default 16 MiB); the host gets the rest. */
  readonly rmRamSize?: number;
  /** Guest time source (default "instructions", deterministic). */
  readonly time?: HypervisorOptions["time"];
  /** PRNG seed for cap IDs (default: from the platform CSPRNG). */
  readonly seed?: number;
  /** Builds vCPUs' CPUs (default: the hypervisor's, i.e. the arch layer's createCpu). */
  readonly cpuFactory?: HypervisorOptions["cpuFactory"];
  /** Boundary tracing for every layer above the CPU (off by default: no cost). */
  readonly tracer?: Tracer;
}

/**
 * What the host VM starts with.
 * - `vm`: its hypercall port, VirqSink and RAM view (identity: IPA == PA).
 * - `ram`: its RAM, [base, base + size).
 * - `rmTxCap` / `rmRxCap`: caps in the host's cspace to the RPC queues: it sends
 *   requests on rmTxCap (msgqueue_send, push on the last fragment) and receives
 *   replies and notifications on rmRxCap (msgqueue_receive).
 * - `rmTxVirq`: host VIRQ raised when rmTxCap has room again (send / not-full).
 * - `rmRxVirq`: host VIRQ raised when rmRxCap has packets (receive / not-empty).
 */
export interface HostBootInfo {
  readonly vm: NativeVm;
  readonly ram: { readonly base: number; readonly size: number };
  readonly rmTxCap: bigint;
  readonly rmRxCap: bigint;
  readonly rmTxVirq: number;
  readonly rmRxVirq: number;
}

export interface Platform {
  readonly hypervisor: Hypervisor;
  readonly rm: ResourceManager;
  readonly host: HostBootInfo;
  /** The tracer the layers record to, for the host driver and the VMM above. */
  readonly tracer?: Tracer;
}

export function bootPlatform(options: PlatformOptions = {}): Platform {
  const ramSize = options.ramSize ?? PHYS_LAYOUT.defaultRamSize;
  const rmRamSize = options.rmRamSize ?? PHYS_LAYOUT.defaultRmRamSize;
  const hypervisor = new Hypervisor({
    ramBase: PHYS_LAYOUT.ramBase,
    ramSize,
    ...(options.time ? { time: options.time } : {}),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.cpuFactory ? { cpuFactory: options.cpuFactory } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  });
  options.tracer?.nameProcess(RM_VMID, "resource manager");
  options.tracer?.nameProcess(HOST_VMID, "host VM");
  const root = hypervisor.createRootVm({ vmid: RM_VMID, ownRamSize: rmRamSize });
  const rm = new ResourceManager(root, {
    ownRam: { base: PHYS_LAYOUT.ramBase, size: rmRamSize },
    ...(options.tracer ? { tracer: options.tracer } : {}),
  });

  // The host gets all RAM the RM manages.
  const hostRam = { base: root.caps.ramBase, size: root.caps.ramSize };
  const objects = rm.createHostVm({
    vmid: HOST_VMID,
    ramBase: hostRam.base,
    ramSize: hostRam.size,
  });
  if (!objects.ok) throw new InvariantError(`platform boot: ${objects.error}`);
  const { vm, vicCap } = hypervisor.createNativeVm(root, {
    vmid: HOST_VMID,
    cspace: objects.value.cspace,
    addrspace: objects.value.addrspace,
  });
  const rpc = rm.connectHostVm(objects.value, vicCap);
  if (!rpc.ok) throw new InvariantError(`platform boot: ${rpc.error}`);
  return {
    hypervisor,
    rm,
    host: { vm, ram: hostRam, ...rpc.value },
    ...(options.tracer ? { tracer: options.tracer } : {}),
  };
}
