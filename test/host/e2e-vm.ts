// The steps every end-to-end host test takes before its own: the real platform (with
// the real CPU), a guest's RAM holding its program at GUEST_RAM and its configuration
// tree at DTB_OFFSET, mapped into a new VM, pc at the program and x0 at the tree, and
// the vCPU functions; then a run loop that answers MMIO exits. Each test keeps only
// what it is about.

import assert from "node:assert/strict";
import { createCpu } from "../../src/arch/arm64/index.js";
import {
  bootReg,
  MapFlag,
  openGunyah,
  ResumeAction,
  RUN_UNION_OFFSET,
  RunMmio,
  type DeviceOptions,
  type GuestMem,
  type GunyahDevice,
  type GunyahVm,
  type Vcpu,
  type VcpuExit,
} from "../../src/host/index.js";
import { configDtb, DTB_OFFSET, GUEST_RAM, RAM_SIZE } from "./guest.js";

export interface GuestVmOptions {
  /** The platform's seed (its randomness: capability ids, addresses). */
  readonly seed: number;
  /** The guest's code, written at the start of its RAM. */
  readonly program: Uint8Array;
  /** vCPU functions to add, ids 0.. (default 1); the tree names as many CPUs. */
  readonly cpus?: number;
  /** The configuration tree (default configDtb with `cpus` CPUs). */
  readonly dtb?: Uint8Array;
  /** The flags of the RAM's mapping (default ALLOW_RWX: lent, all access). */
  readonly flags?: number;
  /** The device's VM defaults (status timeout, run options). */
  readonly vm?: DeviceOptions["vm"];
}

export interface GuestVm {
  readonly gunyah: GunyahDevice;
  readonly mem: GuestMem;
  readonly vm: GunyahVm;
  readonly vcpus: readonly Vcpu[];
  /** The host's free memory right after the device opened, for leak checks. */
  readonly freeAtOpen: number;
  /** Closes the vCPUs and the VM and waits for its release (the RAM is the host's again). */
  release(): Promise<void>;
  /** release(), then closes the RAM and the device. */
  close(): Promise<void>;
}

/** A VM ready to start: nothing of it has reached the RM's VM_INIT yet. */
export async function prepareGuestVm(o: GuestVmOptions): Promise<GuestVm> {
  const cpus = o.cpus ?? 1;
  const device = await openGunyah({
    boot: { ramSize: 64 << 20, rmRamSize: 4 << 20, seed: o.seed, cpuFactory: createCpu },
    vm: o.vm ?? { statusTimeoutMs: 2000 },
  });
  assert.ok(device.ok, device.ok ? "" : device.error.message);
  const gunyah = device.value;
  const freeAtOpen = gunyah.availableMemory;
  const mem = gunyah.createGuestMem({ size: RAM_SIZE });
  assert.ok(mem.ok, mem.ok ? "" : mem.error.message);
  assert.ok(mem.value.write(0, o.program).ok);
  const dtb = o.dtb ?? configDtb([], cpus);
  assert.ok(mem.value.write(DTB_OFFSET, dtb).ok);
  const created = gunyah.createVm();
  assert.ok(created.ok, created.ok ? "" : created.error.message);
  const vm = created.value;
  const map = vm.mapMem({
    guestAddr: GUEST_RAM,
    flags: o.flags ?? MapFlag.ALLOW_RWX,
    guestMem: mem.value,
    offset: 0,
    size: RAM_SIZE,
  });
  assert.ok(map.ok, map.ok ? "" : map.error.message);
  assert.ok(vm.setDtbConfig({ guestPhysAddr: GUEST_RAM + DTB_OFFSET, size: dtb.length }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) }).ok);
  assert.ok(vm.setBootContext({ reg: bootReg("x", 0), value: BigInt(GUEST_RAM + DTB_OFFSET) }).ok);
  const vcpus = Array.from({ length: cpus }, (_, id) => {
    const v = vm.addFunction({ type: "vcpu", id });
    assert.ok(v.ok, v.ok ? "" : v.error.message);
    return v.value;
  });
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      for (const v of vcpus) v.close();
      vm.close();
      await vm.released;
    })());
  return {
    gunyah,
    mem: mem.value,
    vm,
    vcpus,
    freeAtOpen,
    release,
    close: async () => {
      await release();
      mem.value.close();
      gunyah.close();
    },
  };
}

/** The guest's MMIO exits: `onMmio` sees each (and may take its time) before it is HANDLED. */
export type MmioHandler = (exit: Extract<VcpuExit, { reason: "mmio" }>) => void | Promise<void>;

/**
 * Runs `vcpu` until an exit that is not MMIO, which it returns; `beforeRun(n)` runs
 * before the n-th vcpu.run (from 1), for a VMM that is slow now and then.
 */
export async function runUntilNotMmio(
  vcpu: Vcpu,
  onMmio: MmioHandler,
  beforeRun?: (n: number) => Promise<void> | undefined,
): Promise<VcpuExit> {
  for (let n = 1; ; n++) {
    // Awaited only when they return a promise: no extra event-loop turns otherwise.
    const slow = beforeRun?.(n);
    if (slow) await slow;
    const r = await vcpu.run();
    if (!r.ok) throw r.error;
    const exit = r.value;
    if (exit.reason !== "mmio") return exit;
    const handled = onMmio(exit);
    if (handled) await handled;
    new Uint8Array(vcpu.runStructure)[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] =
      ResumeAction.HANDLED;
  }
}
