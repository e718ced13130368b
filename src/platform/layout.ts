// The machine layout (ARCHITECTURE.md "Machine layout", QEMU `virt`-compatible): guest
// IPAs of the hypervisor's vGIC frames and the VMM's devices, and the physical memory
// the platform boots with. The GIC frames come from the RM, which must keep them out
// of VMMIO; everything else is pinned here for the host and the VMM.

import { GIC_DISTRIBUTOR, GIC_REDISTRIBUTOR } from "../rm/index.js";

export const GUEST_LAYOUT = {
  /** GICv3 distributor, emulated by the hypervisor. */
  gicDistributor: { base: GIC_DISTRIBUTOR.base, size: GIC_DISTRIBUTOR.size },
  /** GICv3 redistributors, 128 KiB per vCPU, emulated by the hypervisor. */
  gicRedistributors: { base: GIC_REDISTRIBUTOR.base, sizePerCpu: GIC_REDISTRIBUTOR.sizePerCpu },
  /** PL011 UART (VMM), SPI 1 = INTID 33. */
  uart: { base: 0x0900_0000, size: 0x1000, spi: 1 },
  /** PL031 RTC: the hypervisor's vRTC (a `vrtc-pl031` vdevice), where QEMU's virt has its PL031. */
  rtc: { base: 0x0901_0000, size: 0x1000 },
  /** virtio-mmio slot n at base + n * stride, SPI firstSpi + n. */
  virtioMmio: { base: 0x0a00_0000, stride: 0x200, size: 0x200, firstSpi: 16, slots: 32 },
  /** Guest RAM starts here; everything below is VMMIO except the GIC frames. */
  ramBase: 0x4000_0000,
  /** Arch timer PPIs: secure physical, non-secure physical, virtual (INTID 27), hypervisor. */
  timerPpis: [13, 14, 11, 10] as const,
} as const;

/** Physical memory of the platform: the RM's own RAM first, then the host's. */
export const PHYS_LAYOUT = {
  ramBase: 0x8000_0000,
  defaultRamSize: 1024 * 1024 * 1024,
  defaultRmRamSize: 16 * 1024 * 1024,
} as const;

export const HOST_VMID = 3;
export const RM_VMID = 0xff;
