// The guest machine layout (QEMU `virt`-compatible; ARCHITECTURE.md "Machine layout").
// The platform pins these for the hypervisor and the RM; the VMM places its devices
// and the guest's RAM by the same table.
// TODO(host): re-export from src/host once it publishes the platform's constants.

export const MachineLayout = {
  gicDistributor: { base: 0x0800_0000, size: 0x1_0000 },
  /** One 128 KiB GICv3 redistributor frame pair per vCPU. */
  gicRedistributors: { base: 0x080a_0000, sizePerCpu: 0x2_0000 },
  uart: { base: 0x0900_0000, size: 0x1000, spi: 1 },
  virtioMmio: { base: 0x0a00_0000, stride: 0x200, firstSpi: 16, slots: 32 },
  ram: { base: 0x4000_0000 },
  /** Arch timer PPIs: secure physical, non-secure physical, virtual, hypervisor. */
  timerPpis: [13, 14, 11, 10],
} as const;

/** The redistributor region must stay below the UART; this bounds the vCPU count. */
export const MAX_VCPUS = Math.floor(
  (MachineLayout.uart.base - MachineLayout.gicRedistributors.base) /
    MachineLayout.gicRedistributors.sizePerCpu,
);
