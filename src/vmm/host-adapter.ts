// The VMM's host port over the real host layer (src/host, the TypeScript /dev/gunyah):
// one method per v17 ioctl the VMM uses. Everything the VMM creates here (vCPU
// handles, irqfd eventfds, the guest memory handle) is released by close(), which
// drops the VM handle and waits (bounded) for the host's teardown to finish.

import { err, ok, type Result } from "../lib/result.js";
import { RateLimitedLog } from "../lib/log.js";
import {
  EventFd,
  MapFlag,
  bootReg,
  describeFaultReport,
  type GuestMem,
  type GunyahDevice,
  type GunyahError,
  type GunyahVm,
  type HostResult,
  type Vcpu,
} from "../host/index.js";
import type {
  BootRegister,
  GuestMemoryPort,
  HostCall,
  HostFailure,
  HypervisorPort,
  IrqfdPort,
  MapRequest,
  VcpuDebugPort,
  VcpuPort,
  VmPort,
} from "./host-port.js";

/**
 * How long close() waits for the host's teardown (VM_STOP, reclaim, VM_RESET...).
 * The host bounds its own waits (a status timeout per step, VM_RESET up to its
 * resetTimeoutMs, 60 s, while the RM reports RESETTING: the RM's staged reset takes
 * seconds on a loaded machine), so this fires only for a host that hangs.
 */
const TEARDOWN_WAIT_MS = 90_000;
const log = new RateLimitedLog("vmm: host");

function failure(e: GunyahError): HostFailure {
  return { message: e.message };
}

function result<T>(r: HostResult<T>): Result<T, HostFailure> {
  return r.ok ? r : err(failure(r.error));
}

class HostGuestMemory implements GuestMemoryPort {
  constructor(readonly mem: GuestMem) {}
  get size(): number {
    return this.mem.size;
  }
  write(offset: number, bytes: Uint8Array): Result<void, HostFailure> {
    return result(this.mem.write(offset, bytes));
  }
  read(offset: number, length: number): Result<Uint8Array, HostFailure> {
    return result(this.mem.read(offset, length));
  }
}

class HostVcpu implements VcpuPort {
  constructor(
    readonly index: number,
    readonly vcpu: Vcpu,
  ) {}
  get runStructure(): SharedArrayBuffer {
    return this.vcpu.runStructure;
  }
  async run(): HostCall<void> {
    const r = await this.vcpu.run();
    return r.ok ? ok() : err(failure(r.error));
  }
  readonly kick = (): void => {
    this.vcpu.immediateExit = true;
  };
  readonly debug: VcpuDebugPort = {
    readRegister: (reg) => result(this.vcpu.debug.readRegister(reg)),
    writeRegister: (reg, value) => result(this.vcpu.debug.writeRegister(reg, value)),
    readMemory: (address, length) => result(this.vcpu.debug.readMemory(address, length)),
    writeMemory: (address, data) => result(this.vcpu.debug.writeMemory(address, data)),
    configure: (config) => result(this.vcpu.debug.configure(config)),
  };
}

class HostVm implements VmPort {
  private readonly vcpus: HostVcpu[] = [];
  private readonly eventfds: EventFd[] = [];
  private readonly memories = new Set<GuestMem>();
  private closing: Promise<void> | undefined;

  constructor(private readonly vm: GunyahVm) {}

  get vmid(): number | undefined {
    return this.vm.vmid;
  }

  async mapMemory(request: MapRequest): HostCall<void> {
    if (!(request.memory instanceof HostGuestMemory))
      return err({ message: "EBADF: guest memory from another host" });
    this.memories.add(request.memory.mem);
    // Shared RAM is RWX too: the guest kernel runs from it when every page is shared.
    const flags =
      (request.access === "lend" ? MapFlag.FORCE_LEND : MapFlag.FORCE_SHARE) | MapFlag.ALLOW_RWX;
    return result(
      this.vm.mapMem({
        guestAddr: request.guestAddr,
        flags,
        guestMem: request.memory.mem,
        offset: request.offset,
        size: request.size,
      }),
    );
  }

  async setDtbConfig(guestAddr: number, size: number): HostCall<void> {
    return result(this.vm.setDtbConfig({ guestPhysAddr: guestAddr, size }));
  }

  async setBootRegister(register: BootRegister, value: bigint): HostCall<void> {
    const reg = register.set === "x" ? bootReg("x", register.index) : bootReg(register.set);
    return result(this.vm.setBootContext({ reg, value }));
  }

  async addVcpu(index: number): HostCall<VcpuPort> {
    const r = this.vm.addFunction({ type: "vcpu", id: index });
    if (!r.ok) return err(failure(r.error));
    const v = new HostVcpu(index, r.value);
    this.vcpus.push(v);
    return ok(v);
  }

  readonly addIrqfd = async (label: number, level: boolean): HostCall<IrqfdPort> => {
    const eventfd = new EventFd();
    const r = this.vm.addFunction({ type: "irqfd", eventfd, label, level });
    if (!r.ok) {
      eventfd.close();
      return err(failure(r.error));
    }
    this.eventfds.push(eventfd);
    return ok({
      trigger: () => {
        const s = eventfd.signal(1n);
        if (!s.ok) log.warn(`irqfd ${label}: ${s.error.message}`);
      },
    });
  };

  readonly setTimeBase = async (timeBaseNs: bigint): HostCall<void> =>
    result(this.vm.setTimeBase(timeBaseNs));

  async start(): HostCall<void> {
    return result(await this.vm.start());
  }

  readonly memoryUse = () => this.vm.memoryUse();

  readonly faultReports = (): readonly string[] =>
    this.vm.faultReports().drain().map(describeFaultReport);

  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }

  private async teardown(): Promise<void> {
    for (const v of this.vcpus) {
      v.vcpu.immediateExit = true;
      v.vcpu.close();
    }
    this.vm.close();
    // Our handles only: bindings keep their own references until the teardown reclaims.
    for (const m of this.memories) m.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), TEARDOWN_WAIT_MS);
    });
    const done = await Promise.race([this.vm.released.then(() => "released" as const), timedOut]);
    clearTimeout(timer);
    if (done === "timeout") log.warn(`VM teardown did not finish within ${TEARDOWN_WAIT_MS} ms`);
    for (const e of this.eventfds) e.close();
  }
}

/** The VMM's view of an open /dev/gunyah; close() drops the device and any memory left. */
export function hostPort(device: GunyahDevice): HypervisorPort {
  const memories: GuestMem[] = [];
  return {
    async createVm(options) {
      const r = device.createVm(
        0,
        options?.deterministic ? { runOptions: { scheduling: "turns" } } : undefined,
      );
      return r.ok ? ok(new HostVm(r.value)) : err(failure(r.error));
    },
    async createGuestMemory(size: number) {
      const r = device.createGuestMem({ size });
      if (!r.ok) return err(failure(r.error));
      memories.push(r.value);
      return ok(new HostGuestMemory(r.value));
    },
    close() {
      for (const m of memories.splice(0)) m.close();
      device.close();
    },
  };
}
