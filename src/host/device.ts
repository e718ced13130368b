// /dev/gunyah (Linux v17 rsc_mgr.c misc device + vm_mgr.c): the host driver's entry
// point. Opening it connects the RM client to the host's message queues with the RM
// and sets up the host RAM allocator; the device creates VMs and guest memory.

import type { HostBootInfo } from "../platform/index.js";
import { API_VARIANT_GUNYAH } from "../hyp/abi/index.js";
import { ok } from "../lib/result.js";
import { fail, type HostResult } from "./errors.js";
import { defaultFunctionTypes } from "./functions/index.js";
import { GuestMem, type GuestMemOptions } from "./guest-mem.js";
import { HostRamAllocator, PAGE_SIZE } from "./host-ram.js";
import { HostHypercalls, type HypercallInjector } from "./hypercalls.js";
import { RmCalls } from "./rm/calls.js";
import { RmClient, type RmCallInjector, type RmClientOptions } from "./rm/client.js";
import { MsgqTransport, type RmTransport } from "./rm/transport.js";
import { RefCount } from "./refcount.js";
import { GunyahVm } from "./vm.js";
import { VmCore, type HostServices, type VmOptions } from "./vm-core.js";
import { teardownVm } from "./vm-teardown.js";

export type { HostBootInfo };

export interface DeviceOptions {
  readonly rm?: RmClientOptions;
  /** Defaults for every VM this device creates. */
  readonly vm?: VmOptions;
  /** Test-only: a transport to use instead of the host's message queues. */
  readonly transport?: RmTransport;
}

/**
 * The driver instance of one host VM (Linux has one RM client per host): the RM
 * connection, the host RAM allocator and the function types. Every device handle
 * and every VM holds a reference; the last one closes the RM client.
 */
class HostDriver {
  readonly hyp: HostHypercalls;
  readonly client: RmClient;
  readonly allocator: HostRamAllocator;
  readonly services: HostServices;
  readonly refs: RefCount;

  constructor(
    readonly boot: HostBootInfo,
    readonly options: DeviceOptions,
  ) {
    this.hyp = new HostHypercalls(boot.vm.hvc);
    this.allocator = new HostRamAllocator(boot.ram.base, boot.ram.size);
    const buffer = this.allocator.allocate(PAGE_SIZE);
    if (!buffer.ok) throw new Error("host RAM too small for the RM message buffer");
    const transport =
      options.transport ??
      new MsgqTransport({
        vm: boot.vm,
        hyp: this.hyp,
        txCap: boot.rmTxCap,
        rxCap: boot.rmRxCap,
        txVirq: boot.rmTxVirq,
        rxVirq: boot.rmRxVirq,
        bufferIpa: buffer.value,
      });
    this.client = new RmClient(transport, options.rm);
    this.services = {
      native: boot.vm,
      hyp: this.hyp,
      rm: new RmCalls(this.client),
      functionTypes: defaultFunctionTypes(),
      ramBase: boot.ram.base,
    };
    this.refs = new RefCount(() => {
      this.client.close();
      if (drivers.get(boot) === this) drivers.delete(boot);
    });
  }
}

/** One driver per host VM: opening /dev/gunyah twice shares it (two RM clients on one queue pair would steal each other's replies). */
const drivers = new WeakMap<HostBootInfo, HostDriver>();

export class GunyahDevice {
  private readonly driver: HostDriver;
  private closed = false;

  /**
   * @internal Use `openGunyah()`. Opens a handle on the host VM's driver, creating
   * the driver on first open (`options` apply only then).
   */
  constructor(boot: HostBootInfo, options: DeviceOptions = {}) {
    const existing = drivers.get(boot);
    if (existing?.refs.tryGet()) {
      this.driver = existing;
    } else {
      this.driver = new HostDriver(boot, options);
      drivers.set(boot, this.driver);
    }
  }

  private get hyp(): HostHypercalls {
    return this.driver.hyp;
  }

  private get client(): RmClient {
    return this.driver.client;
  }

  private get allocator(): HostRamAllocator {
    return this.driver.allocator;
  }

  private get refs(): RefCount {
    return this.driver.refs;
  }

  get boot(): HostBootInfo {
    return this.driver.boot;
  }

  /** Checks that the hypervisor below is Gunyah with vcpu_run (gunyah-abi.md section 1). */
  identify(): HostResult<{ apiVersion: number; flags0: bigint }> {
    const { apiInfo, flags0 } = this.hyp.identify();
    if (apiInfo >> 56n !== API_VARIANT_GUNYAH) return fail("ENODEV", "not a Gunyah hypervisor");
    return ok({ apiVersion: Number(apiInfo & 0x3fffn), flags0 });
  }

  /** Host RAM bytes still free for guest memory. */
  get availableMemory(): number {
    return this.allocator.available;
  }

  /** GUNYAH_CREATE_VM. `type` must be 0 (the only machine type). */
  createVm(type = 0, options?: VmOptions): HostResult<GunyahVm> {
    if (this.closed) return fail("EBADF", "device is closed");
    if (type !== 0) return fail("EINVAL", "CREATE_VM argument must be 0");
    if (!this.refs.tryGet()) return fail("ENODEV", "device is gone");
    const core = new VmCore(this.driver.services, teardownVm, {
      ...this.driver.options.vm,
      ...options,
    });
    void core.released.then(() => this.refs.put());
    return ok(
      new GunyahVm(core, {
        drop: () => core.refs.put(),
      }),
    );
  }

  /** GUNYAH_CREATE_GUEST_MEM: `size` bytes of host RAM, page aligned. */
  createGuestMem(options: GuestMemOptions): HostResult<GuestMem> {
    if (this.closed) return fail("EBADF", "device is closed");
    return GuestMem.create(this.boot.vm.memory, this.allocator, options);
  }

  /** Test-only: fail hypercalls chosen by `injector` (undefined to stop). */
  injectHypercallFaults(injector: HypercallInjector | undefined): void {
    this.hyp.injector = injector;
  }

  /** Test-only: fail RM calls chosen by `injector` (undefined to stop). */
  injectRmFaults(injector: RmCallInjector | undefined): void {
    this.client.injector = injector;
  }

  /**
   * Listens for an RM notification id (VM_STATUS, VM_EXITED, MEM_SHARED, MEM_RELEASED,
   * MEM_ACCEPTED, MEM_RECALL...), with its raw payload; returns an unsubscribe.
   */
  onRmNotification(msgId: number, handler: (payload: Uint8Array) => void): () => void {
    return this.client.onNotification(msgId, handler);
  }

  /** RM client counters (malformed packets skipped, notifications). */
  get rmStats(): Readonly<RmClient["stats"]> {
    return this.client.stats;
  }

  /** Closes the device; the RM connection stays up until its last VM is torn down. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.refs.put();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
