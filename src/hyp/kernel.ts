// The hypervisor's global state: physical memory, the ownership database, the object
// registry, the PRNG, and the factory that creates an object of each type from a
// partition. Hypercall handlers receive this; the public Hypervisor class wraps it.

import { Addrspace, VmidSet } from "./addrspace.js";
import { Cspace } from "./cspace.js";
import { Doorbell } from "./doorbell.js";
import { MemDb } from "./memdb.js";
import { Memextent } from "./memextent.js";
import { Msgqueue } from "./msgqueue.js";
import { ObjectRegistry, type HypObject, type ObjectType } from "./object.js";
import { Partition } from "./partition.js";
import { PhysicalMemory } from "./physmem.js";
import { Prng } from "./prng.js";
import { Vic, type BackendFactory } from "./vic.js";
import type { Tracer } from "../lib/trace.js";

export interface KernelOptions {
  readonly ramBase: number;
  readonly ramSize: number;
  readonly seed?: number;
}

/** Creates the object types that need more than the registry (threads, vPM groups, vRTCs). */
export type ExtraFactory = (kernel: Kernel, partition: Partition) => HypObject;

export class Kernel {
  readonly registry = new ObjectRegistry();
  readonly physmem: PhysicalMemory;
  readonly memdb: MemDb;
  readonly prng: Prng;
  readonly vmids = new VmidSet();
  /** The guest vic's backend (the virtual GICv3); set by the hypervisor at boot. */
  guestVicBackend: BackendFactory | undefined;
  readonly extraFactories = new Map<ObjectType, ExtraFactory>();
  /** Set at boot when tracing; every hook tests it before building an event. */
  tracer: Tracer | undefined;

  constructor(options: KernelOptions) {
    this.physmem = new PhysicalMemory(options.ramBase, options.ramSize);
    this.memdb = new MemDb(this.physmem.basePage, this.physmem.pageCount);
    this.prng = new Prng(options.seed);
  }

  /** A new object of `type` from `partition`, in INIT, holding its creation reference. */
  createObject(type: ObjectType, partition: Partition): HypObject | undefined {
    switch (type) {
      case "partition":
        return new Partition(this.registry, this.memdb, "partition", partition);
      case "cspace":
        return new Cspace(this.registry, this.prng);
      case "addrspace":
        return new Addrspace(this.registry, this.physmem, this.vmids);
      case "memextent":
        return new Memextent(this.registry, this, partition);
      case "doorbell":
        return new Doorbell(this.registry);
      case "msgqueue":
        return new Msgqueue(this.registry);
      case "vic": {
        const vic = new Vic(this.registry, this.guestVicBackend);
        vic.tracer = this.tracer;
        return vic;
      }
      case "thread":
      case "vpm_group":
      case "vrtc": {
        const f = this.extraFactories.get(type);
        return f ? f(this, partition) : undefined;
      }
    }
  }
}
