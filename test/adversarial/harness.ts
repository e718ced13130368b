// Shared set-up for the attack tests: a real platform (hypervisor, RM, host VM, the
// real A64 CPU) opened through the host UAPI, and guests made of a few hand-encoded
// instructions. Everything here goes through public entries only.

import { createCpu } from "../../src/arch/arm64/index.js";
import { configDtb as hostConfigDtb } from "../host/guest.js";
import { setLogSink } from "../../src/lib/log.js";
import {
  bootReg,
  MapFlag,
  openGunyah,
  ResumeAction,
  RunPageFault,
  RUN_UNION_OFFSET,
  type GunyahDevice,
  type GunyahVm,
  type GuestMem,
  type Vcpu,
  type VcpuExit,
} from "../../src/host/index.js";
import { bootPlatform, type Platform } from "../../src/platform/index.js";
import { assemble } from "./a64.js";

setLogSink(() => {});

export const GUEST_RAM = 0x4000_0000;
export const RAM_SIZE = 2 << 20;
export const DTB_OFFSET = 0x1_0000;
export const UART = 0x0900_0000;
export const GICD = 0x0800_0000;
export const GICR = 0x080a_0000;
export const MiB = 1 << 20;

export function smallPlatform(seed = 11): Platform {
  return bootPlatform({ ramSize: 64 * MiB, rmRamSize: 4 * MiB, seed, cpuFactory: createCpu });
}

export async function openDevice(seed = 7): Promise<{ gunyah: GunyahDevice; platform: Platform }> {
  const platform = smallPlatform(seed);
  const device = await openGunyah({ platform, vm: { statusTimeoutMs: 2000 } });
  if (!device.ok) throw new Error(device.error.message);
  return { gunyah: device.value, platform };
}

/** The /gunyah-vm-config tree the RM parses at VM_INIT (the host tests' builder). */
export function configDtb(cpuCount = 1, ramBase = GUEST_RAM, ramSize = RAM_SIZE): Uint8Array {
  return hostConfigDtb([], cpuCount, { base: ramBase, size: ramSize });
}

export interface ExtraMap {
  readonly guestAddr: number;
  readonly mem: GuestMem;
  readonly offset: number;
  readonly size: number;
  readonly flags: number;
}

export interface Guest {
  readonly vm: GunyahVm;
  readonly mem: GuestMem;
  readonly vcpus: Vcpu[];
}

/**
 * A started guest: `program` at GUEST_RAM (in `mem`, or a fresh RAM_SIZE guest-mem),
 * the config DTB at GUEST_RAM + DTB_OFFSET, `extra` mappings added after the main one.
 */
export async function startGuest(
  gunyah: GunyahDevice,
  program: readonly number[],
  o: { cpus?: number; mem?: GuestMem; extra?: ExtraMap[]; mainSize?: number } = {},
): Promise<Guest> {
  const cpus = o.cpus ?? 1;
  const mainSize = o.mainSize ?? RAM_SIZE;
  let mem = o.mem;
  if (!mem) {
    const m = gunyah.createGuestMem({ size: mainSize });
    if (!m.ok) throw new Error(m.error.message);
    mem = m.value;
  }
  must(mem.write(0, assemble(program)));
  const dtb = configDtb(cpus);
  must(mem.write(DTB_OFFSET, dtb));
  const vmr = gunyah.createVm();
  if (!vmr.ok) throw new Error(vmr.error.message);
  const vm = vmr.value;
  must(
    vm.mapMem({
      guestAddr: GUEST_RAM,
      flags: MapFlag.ALLOW_RWX,
      guestMem: mem,
      offset: 0,
      size: mainSize,
    }),
  );
  for (const e of o.extra ?? []) {
    must(
      vm.mapMem({
        guestAddr: e.guestAddr,
        flags: e.flags,
        guestMem: e.mem,
        offset: e.offset,
        size: e.size,
      }),
    );
  }
  must(vm.setDtbConfig({ guestPhysAddr: GUEST_RAM + DTB_OFFSET, size: dtb.length }));
  must(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) }));
  const vcpus: Vcpu[] = [];
  for (let i = 0; i < cpus; i++) {
    const v = vm.addFunction({ type: "vcpu", id: i });
    if (!v.ok) throw new Error(v.error.message);
    vcpus.push(v.value as Vcpu);
  }
  must(await vm.start());
  return { vm, mem, vcpus };
}

export function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Runs a vCPU until an exit the VMM sees (or `limit` runs): returns the exits. */
export async function runExits(vcpu: Vcpu, limit = 4): Promise<VcpuExit[]> {
  const out: VcpuExit[] = [];
  for (let i = 0; i < limit; i++) {
    const r = await vcpu.run();
    if (!r.ok) throw new Error(`run: ${r.error.code} ${r.error.message}`);
    out.push(r.value);
    if (r.value.reason === "status") break;
  }
  return out;
}

export async function teardown(g: Guest): Promise<void> {
  for (const v of g.vcpus) v.close();
  g.vm.close();
  await g.vm.released;
}

/** The hypervisor's leak-relevant accounting (backed bytes grow lazily and never shrink). */
export function accounting(platform: Platform): string {
  const s = platform.hypervisor.stats();
  return JSON.stringify({ objects: s.objects, caps: s.caps, pages: s.pages, owners: s.owners });
}

/**
 * Answers a PAGE_FAULT exit with RETRY (the instruction runs again) instead of the
 * preset FAULT (an external abort in the guest), for tests about the exit itself.
 */
export function retryPageFault(runStructure: SharedArrayBuffer): void {
  new Uint8Array(runStructure)[RUN_UNION_OFFSET + RunPageFault.offsets.resume_action] =
    ResumeAction.RETRY;
}
