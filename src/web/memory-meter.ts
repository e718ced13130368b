// The guest's memory use for the page's live panel: lent and shared bytes, which the
// hypervisor's run statistics do not keep, read from the host's VM. A HypervisorPort
// decorator that only remembers the VM the VMM creates; everything else passes through.

import type { HypervisorPort, VmPort } from "../vmm/index.js";

export class MemoryMeter {
  private vm: VmPort | undefined;

  /** Lent and shared bytes of the metered VM now (zero before it exists). */
  memoryUse(): { lent: number; shared: number } {
    return this.vm?.memoryUse?.() ?? { lent: 0, shared: 0 };
  }

  /** The host port, with the VM it creates remembered. */
  wrap(host: HypervisorPort): HypervisorPort {
    return {
      createGuestMemory: (size) => host.createGuestMemory(size),
      createVm: async (options) => {
        const vm = await host.createVm(options);
        if (vm.ok) this.vm = vm.value;
        return vm;
      },
      ...(host.close ? { close: () => host.close?.() } : {}),
    };
  }
}
