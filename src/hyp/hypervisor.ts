// The public face of the hypervisor core: boot (the root VM, i.e. the RM, and the
// host as native VMs), and leak accounting. Everything after boot happens through
// hypercalls.

import { HypError } from "./abi/errors.js";
import { Access, MemextentType, Rights, memextentAttrs, mappingAttrs } from "./abi/objects.js";
import type { RootVm, RootVmCaps } from "./abi/port.js";
import { Addrspace } from "./addrspace.js";
import { Cspace } from "./cspace.js";
import { createCpu } from "../arch/arm64/index.js";
import type { CpuFactory } from "./cpu.js";
import { Dispatcher } from "./dispatch/dispatcher.js";
import { vcpuHandlers } from "./dispatch/vcpu.js";
import { debugHandlers } from "./dispatch/debug.js";
import { Kernel } from "./kernel.js";
import { HYP_OWNER } from "./memdb.js";
import { Memextent } from "./memextent.js";
import { NativeVirqSink } from "./native-sink.js";
import { NativeVmContext } from "./native-vm.js";
import type { HypObject, ObjectType } from "./object.js";
import { Partition } from "./partition.js";
import { PAGE_SIZE } from "./physmem.js";
import { RunStatsLog, type VcpuStats } from "./run-stats.js";
import { SystemClock } from "./time.js";
import { Vcpu } from "./vcpu.js";
import { Vic } from "./vic.js";
import { VirtualGic } from "./vgic/vgic.js";
import { VpmGroup } from "./vpm.js";
import { Vrtc } from "./vrtc.js";
import { InvariantError } from "../lib/assert.js";
import type { Tracer } from "../lib/trace.js";

export interface HypervisorOptions {
  /** Physical RAM base (default 0x8000_0000). */
  readonly ramBase?: number;
  /** Physical RAM size (default 2 GiB), backed lazily in 2 MiB banks. */
  readonly ramSize?: number;
  /** "instructions" (default, deterministic) or "wall". */
  readonly time?: "instructions" | "wall";
  /** Seeds the PRNG behind cap IDs (default: the platform CSPRNG). */
  readonly seed?: number;
  /** CNTFRQ (default 62.5 MHz). */
  readonly counterFrequency?: number;
  /** Builds vCPU CPUs (default: the arch layer's createCpu; tests may pass a fake). */
  readonly cpuFactory?: CpuFactory;
  /** Records hypercalls, vCPU run slices, exits, memory and interrupt events (off: none). */
  readonly tracer?: Tracer;
}

export interface HypervisorStats {
  /** Live objects by type. */
  readonly objects: Record<ObjectType, number>;
  /** Caps stored in live cspaces. */
  readonly caps: number;
  /** Physical pages by owner label ("hypervisor", "partition", "memextent@..."). */
  readonly pages: Record<string, number>;
  /** Owners the memory database tracks. */
  readonly owners: number;
  /** Bytes of RAM actually backed by host memory. */
  readonly backedBytes: number;
}

const ROOT_CSPACE_CAPS = 4096;
const DEFAULT_RAM_BASE = 0x8000_0000;
const DEFAULT_RAM_SIZE = 2 * 1024 * 1024 * 1024;

export class Hypervisor {
  readonly kernel: Kernel;
  readonly dispatcher: Dispatcher;
  readonly options: Required<Omit<HypervisorOptions, "seed" | "cpuFactory" | "tracer">> & {
    seed?: number;
  };
  readonly clock: SystemClock;
  private readonly runStats = new RunStatsLog();
  private rootPartition: Partition | undefined;
  private rootVm: NativeVmContext | undefined;
  /** Boot objects held by the hypervisor itself (not reachable by any cap). */
  private readonly held: HypObject[] = [];

  constructor(options: HypervisorOptions = {}) {
    this.options = {
      ramBase: options.ramBase ?? DEFAULT_RAM_BASE,
      ramSize: options.ramSize ?? DEFAULT_RAM_SIZE,
      time: options.time ?? "instructions",
      counterFrequency: options.counterFrequency ?? 62_500_000,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    };
    this.kernel = new Kernel(this.options);
    this.dispatcher = new Dispatcher(this.kernel, [vcpuHandlers, debugHandlers]);
    this.clock = new SystemClock(this.options.time, this.options.counterFrequency);
    const tracer = options.tracer;
    if (tracer) {
      this.kernel.tracer = tracer;
      this.clock.tracer = tracer;
      tracer.setGuestClock(this.clock.counter, this.options.counterFrequency);
      tracer.nameProcess(0, "hypervisor");
    }
    const services = {
      tracer,
      clock: this.clock,
      runStats: this.runStats,
      cpuFactory: options.cpuFactory ?? createCpu,
      counterFrequency: this.options.counterFrequency,
      hvc: (vcpu: Vcpu, functionId: number, args: readonly bigint[]) =>
        this.dispatcher.dispatch(vcpu, functionId, args),
    };
    this.kernel.extraFactories.set("thread", (k) => new Vcpu(k.registry, services));
    this.kernel.extraFactories.set("vpm_group", (k) => new VpmGroup(k.registry));
    this.kernel.extraFactories.set("vrtc", (k) => new Vrtc(k.registry, this.clock));
    this.kernel.guestVicBackend = (vic) => VirtualGic.forVic(vic);
  }

  /**
   * Boot: the RM's VM context (a native VM) with caps, in its own cspace, to the root
   * partition, that cspace, its address space, a memory extent over all RAM but its
   * own (which is mapped IPA == PA into its address space), and its vic.
   */
  createRootVm(options: { vmid: number; ownRamSize: number }): RootVm {
    if (this.rootVm) throw new InvariantError("createRootVm: the root VM exists already");
    const k = this.kernel;
    const { ramBase, ramSize } = this.options;
    const own = options.ownRamSize;
    if (own <= 0 || own % PAGE_SIZE !== 0 || own >= ramSize)
      throw new InvariantError("createRootVm: ownRamSize must be page-aligned and below RAM size");

    const partition = new Partition(k.registry, k.memdb, "root-partition", undefined);
    check(partition.activate());
    if (!k.memdb.transfer(k.physmem.basePage, k.physmem.pageCount, HYP_OWNER, partition.ownerTag))
      throw new InvariantError("createRootVm: RAM already owned");
    this.rootPartition = partition;

    const cspace = new Cspace(k.registry, k.prng);
    cspace.configureInternal(ROOT_CSPACE_CAPS);
    check(cspace.activate());
    const addrspace = new Addrspace(k.registry, k.physmem, k.vmids);
    check(addrspace.configure(BigInt(options.vmid)));
    check(addrspace.activate());

    const rwx = memextentAttrs(Access.RWX, MemextentType.BASIC);
    const ownExtent = new Memextent(k.registry, k, partition);
    check(ownExtent.configure(BigInt(ramBase), BigInt(own), rwx));
    check(ownExtent.activate());
    check(addrspace.map(ownExtent, BigInt(ramBase), mappingAttrs(Access.RWX), 0n, 0n, 0n));

    const rest = new Memextent(k.registry, k, partition);
    check(rest.configure(BigInt(ramBase + own), BigInt(ramSize - own), rwx));
    check(rest.activate());

    const { vic, sink } = this.nativeVic();
    const ctx = new NativeVmContext(
      options.vmid,
      cspace,
      addrspace,
      sink,
      this.dispatcher,
      this.clock.counter,
    );
    // The context uses its cspace and address space whatever the RM does with its caps.
    this.held.push(ownExtent, cspace.get(), addrspace.get());
    const caps: RootVmCaps = {
      partition: insert(cspace, partition.get()),
      cspace: insert(cspace, cspace.get()),
      addrspace: insert(cspace, addrspace),
      memextent: insert(cspace, rest),
      vic: insert(cspace, vic),
      ramBase: ramBase + own,
      ramSize: ramSize - own,
    };
    this.rootVm = ctx;
    return Object.assign(ctx, { caps });
  }

  /**
   * Platform boot only: turns a cspace and an address space the root VM created
   * (caps in the root's cspace) into a native VM with its own port, VirqSink and RAM
   * view, and creates its vic, returning a cap to it in the root's cspace.
   */
  createNativeVm(
    root: RootVm,
    spec: { vmid: number; cspace: bigint; addrspace: bigint },
  ): { vm: NativeVmContext; vicCap: bigint } {
    const rootCtx = this.rootVm;
    if (!rootCtx || (root as unknown) !== rootCtx)
      throw new InvariantError("createNativeVm: unknown root VM");
    const cs = rootCtx.cspace.lookup<Cspace>(spec.cspace, "cspace", 0);
    if (!cs.ok) throw new InvariantError(`createNativeVm: cspace cap: ${cs.error}`);
    const as = rootCtx.cspace.lookup<Addrspace>(spec.addrspace, "addrspace", 0);
    if (!as.ok) throw new InvariantError(`createNativeVm: addrspace cap: ${as.error}`);
    if (as.value.vmid !== spec.vmid)
      throw new InvariantError(`createNativeVm: address space has VMID ${as.value.vmid}`);
    const { vic, sink } = this.nativeVic();
    const vicCap = insert(rootCtx.cspace, vic);
    cs.value.get();
    as.value.get();
    this.held.push(cs.value, as.value);
    const vm = new NativeVmContext(
      spec.vmid,
      cs.value,
      as.value,
      sink,
      this.dispatcher,
      this.clock.counter,
    );
    return { vm, vicCap };
  }

  private nativeVic(): { vic: Vic; sink: NativeVirqSink } {
    let vic: Vic | undefined = undefined;
    const sink = new NativeVirqSink((virq) => vic?.sourceOf(virq));
    vic = new Vic(this.kernel.registry, undefined, sink);
    check(vic.activate());
    return { vic, sink };
  }

  /** Per-vCPU run statistics of the guest vCPUs run so far (run-stats.ts). */
  vcpuStats(): VcpuStats[] {
    return this.runStats.list();
  }

  stats(): HypervisorStats {
    const k = this.kernel;
    return {
      objects: k.registry.counts(),
      caps: k.registry.liveCaps,
      pages: k.memdb.summary(),
      owners: k.memdb.ownerCount,
      backedBytes: k.physmem.allocatedBytes,
    };
  }
}

function check(code: number): void {
  if (code !== HypError.OK) throw new InvariantError(`boot: hypervisor error ${code}`);
}

function insert(cspace: Cspace, object: HypObject): bigint {
  const r = cspace.insert(object, Rights.ALL, true);
  if (!r.ok) throw new InvariantError(`boot: cap insert failed ${r.error}`);
  return r.value;
}
