// Builds a host device over the fakes: a fake native host VM (hypercalls, RAM, VIRQs)
// and a fake RM on an in-memory transport.

import { setLogSink } from "../../src/lib/log.js";
import { GunyahDevice } from "../../src/host/device.js";
import { HypResourceType, MemExtentLabel } from "../../src/rm/protocol/index.js";
import type { RawHypResource } from "../../src/host/rm/calls.js";
import { fakeNativeVm, type FakeNative } from "./fake-hyp.js";
import { FakeRm, resource } from "./fake-rm.js";

setLogSink(() => {});

export const RAM_BASE = 0x8000_0000;
export const GUEST_BASE = 0x4000_0000;

export const Caps = {
  addrspace: 0xa5n,
  guestPrivate: 0xe0n,
  hostShared: 0xe1n,
  hostPrivate: 0xe2n,
  guestShared: 0xe3n,
  vcpu: (i: number) => 0xc00n + BigInt(i),
  doorbell: (label: number) => 0xdb0n + BigInt(label),
} as const;

export const VCPU_VIRQ = 992;

/** The resources the RM of ARCHITECTURE.md hands over for a VM with `vcpus` vCPUs. */
export function standardResources(vcpus = 1, doorbells: number[] = []): RawHypResource[] {
  return [
    resource(HypResourceType.ADDR_SPACE, 0, Caps.addrspace),
    resource(HypResourceType.MEM_EXTENT, MemExtentLabel.GUEST_PRIVATE, Caps.guestPrivate),
    resource(HypResourceType.MEM_EXTENT, MemExtentLabel.HOST_SHARED, Caps.hostShared),
    resource(HypResourceType.MEM_EXTENT, MemExtentLabel.HOST_PRIVATE, Caps.hostPrivate),
    resource(HypResourceType.MEM_EXTENT, MemExtentLabel.GUEST_SHARED, Caps.guestShared),
    ...Array.from({ length: vcpus }, (_, i) =>
      resource(HypResourceType.VIRTUAL_CPU, i, Caps.vcpu(i), VCPU_VIRQ + i),
    ),
    ...doorbells.map((l) => resource(HypResourceType.DOORBELL_SRC, l, Caps.doorbell(l))),
  ];
}

export interface TestHost {
  readonly device: GunyahDevice;
  readonly rm: FakeRm;
  readonly native: FakeNative;
}

export function testHost(
  options: {
    vcpus?: number;
    doorbells?: number[];
    wakeupTimeoutMs?: number;
    resetTimeoutMs?: number;
  } = {},
): TestHost {
  const native = fakeNativeVm(RAM_BASE, 64 << 20);
  const rm = new FakeRm();
  rm.resourcesFor = () => standardResources(options.vcpus ?? 1, options.doorbells ?? []);
  const device = new GunyahDevice(
    {
      vm: native.vm,
      ram: { base: RAM_BASE, size: 64 << 20 },
      rmTxCap: 1n,
      rmRxCap: 2n,
      rmTxVirq: 40,
      rmRxVirq: 41,
    },
    {
      transport: rm.transport,
      rm: { timeoutMs: 2000 },
      vm: {
        statusTimeoutMs: 200,
        ...(options.resetTimeoutMs === undefined ? {} : { resetTimeoutMs: options.resetTimeoutMs }),
        runOptions: { wakeupTimeoutMs: options.wakeupTimeoutMs ?? 5 },
      },
    },
  );
  return { device, rm, native };
}

/** A VM with 1 MiB of lent RAM at GUEST_BASE, a DTB at +0x1000 and a PC: ready to start. */
export function configuredVm(host: TestHost, size = 1 << 20) {
  const vm = host.device.createVm();
  if (!vm.ok) throw vm.error;
  const mem = host.device.createGuestMem({ size });
  if (!mem.ok) throw mem.error;
  const dtb = new Uint8Array([0xd0, 0x0d, 0xfe, 0xed]);
  if (!mem.value.write(0x1000, dtb).ok) throw new Error("dtb write");
  const mapped = vm.value.mapMem({
    guestAddr: GUEST_BASE,
    flags: 0x70,
    guestMem: mem.value,
    offset: 0,
    size,
  });
  if (!mapped.ok) throw mapped.error;
  const dtbSet = vm.value.setDtbConfig({ guestPhysAddr: GUEST_BASE + 0x1000, size: 0x800 });
  if (!dtbSet.ok) throw dtbSet.error;
  return { vm: vm.value, mem: mem.value };
}

export const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `pred()` holds (or fails the test after `ms`). */
export async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await tick(1);
  }
}
