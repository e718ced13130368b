// Builds a guest VM with hypercalls from the root VM, the way the RM does.
import type { RootVm } from "../../src/hyp/abi/port.js";
import { VcpuOption } from "../../src/hyp/abi/objects.js";
import {
  Access,
  Call,
  activate,
  create,
  deriveExtent,
  makeAddrspace,
  mappingAttrs,
  ok,
} from "./helpers.js";

export const GUEST_RAM_IPA = 0x4000_0000;

export interface Guest {
  readonly addrspace: bigint;
  readonly extent: bigint;
  readonly cspace: bigint;
  readonly vic: bigint | undefined;
  readonly vpm: bigint;
  readonly vcpus: bigint[];
}

export function buildGuest(
  rm: RootVm,
  options: {
    vcpus?: number;
    ramOffset?: number;
    ramSize?: number;
    vic?: boolean;
    vmid?: number;
    /** vgic_set_mpidr_mapping's arguments after the vic cap (before activation). */
    mpidrMapping?: readonly bigint[];
  } = {},
): Guest {
  const n = options.vcpus ?? 1;
  const addrspace = makeAddrspace(rm, options.vmid ?? 0x80);
  const extent = deriveExtent(
    rm,
    rm.caps.memextent,
    options.ramOffset ?? 0,
    options.ramSize ?? 1 << 20,
  );
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    addrspace,
    extent,
    BigInt(GUEST_RAM_IPA),
    mappingAttrs(Access.RWX),
    0n,
    0n,
    0n,
  );
  const cspace = create(rm, "cspace");
  ok(rm.hvc, Call.CSPACE_CONFIGURE, cspace, 16n);
  activate(rm, cspace);
  let vic: bigint | undefined;
  if (options.vic) {
    vic = create(rm, "vic");
    ok(rm.hvc, Call.VIC_CONFIGURE, vic, BigInt(n), 64n, 0n, 0n);
    if (options.mpidrMapping) ok(rm.hvc, Call.VGIC_SET_MPIDR_MAPPING, vic, ...options.mpidrMapping);
    activate(rm, vic);
  }
  const vpm = create(rm, "vpm_group");
  activate(rm, vpm);
  const vcpus: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const t = create(rm, "thread");
    ok(rm.hvc, Call.VCPU_CONFIGURE, t, BigInt(VcpuOption.VCPU_RUN_SCHEDULED));
    ok(rm.hvc, Call.ADDRSPACE_ATTACH_THREAD, addrspace, t);
    ok(rm.hvc, Call.CSPACE_ATTACH_THREAD, cspace, t);
    if (vic !== undefined) ok(rm.hvc, Call.VIC_ATTACH_VCPU, vic, t, BigInt(i));
    ok(rm.hvc, Call.VPM_GROUP_ATTACH_VCPU, vpm, t, BigInt(i));
    activate(rm, t);
    vcpus.push(t);
  }
  return { addrspace, extent, cspace, vic, vpm, vcpus };
}

/** vcpu_run: [error, state, data0, data1, data2]. */
export function run(rm: RootVm, vcpu: bigint, resume0 = 0n, resume1 = 0n): bigint[] {
  const r = rm.hvc.hvc(0xc600_8000 | Call.VCPU_RUN, [vcpu, resume0, resume1, 0n, 0n]);
  return [...r];
}

/**
 * Maps the guest's RAM extent into the root VM at its physical address as well
 * (read-write), so the test can write the guest's code and data there: its address.
 */
export function mapIntoRoot(rm: RootVm, g: Guest): number {
  const pa = rm.caps.ramBase;
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    rm.caps.addrspace,
    g.extent,
    BigInt(pa),
    mappingAttrs(Access.RW),
    0n,
    0n,
    0n,
  );
  return pa;
}
