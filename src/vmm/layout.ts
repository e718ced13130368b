// The guest machine layout (QEMU `virt`-compatible; ARCHITECTURE.md "Machine layout").
// The platform pins it for the hypervisor and the RM and the host publishes it; the VMM
// places its devices and the guest's RAM by the same table.

import { GUEST_LAYOUT } from "../host/index.js";

export const MachineLayout = GUEST_LAYOUT;

/** The redistributor region must stay below the UART; this bounds the vCPU count. */
export const MAX_VCPUS = Math.floor(
  (MachineLayout.uart.base - MachineLayout.gicRedistributors.base) /
    MachineLayout.gicRedistributors.sizePerCpu,
);
