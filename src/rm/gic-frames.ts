// The virtual GICv3 frames the hypervisor emulates itself (ARCHITECTURE.md "Machine
// layout"). The RM keeps them out of a VM's VMMIO ranges so that accesses to them
// reach the hypervisor's vGIC instead of exiting to the host; the same for the vRTC.

export const GIC_DISTRIBUTOR = { base: 0x0800_0000, size: 0x1_0000 } as const;
export const GIC_REDISTRIBUTOR = { base: 0x080a_0000, sizePerCpu: 0x2_0000 } as const;

export interface IpaSpan {
  readonly base: number;
  readonly size: number;
}

/**
 * Every IPA below `memoryBase` except the GIC frames for `vcpus` vCPUs and the other
 * pages the hypervisor emulates (`more`: the vRTC's).
 */
export function vmmioRanges(
  memoryBase: number,
  vcpus: number,
  more: readonly IpaSpan[] = [],
): IpaSpan[] {
  const holes: IpaSpan[] = [
    GIC_DISTRIBUTOR,
    { base: GIC_REDISTRIBUTOR.base, size: GIC_REDISTRIBUTOR.sizePerCpu * vcpus },
    ...more,
  ].sort((a, b) => a.base - b.base);
  const out: IpaSpan[] = [];
  let at = 0;
  for (const h of holes) {
    if (h.base >= memoryBase) break;
    if (h.base > at) out.push({ base: at, size: h.base - at });
    at = Math.max(at, h.base + h.size);
  }
  if (at < memoryBase) out.push({ base: at, size: memoryBase - at });
  return out;
}
