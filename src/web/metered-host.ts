// A HypervisorPort decorator that meters what the VMM sees, for the page's live panel:
// every vCPU exit by kind (read from the run structure after each run()), and the VM's
// memory use (lent and shared bytes, from the host). The VMM runs unchanged on it.

import { RunView, type HypervisorPort, type VcpuPort, type VmPort } from "../vmm/index.js";

export class ExitMeter {
  readonly counts: Record<string, number> = {};
  private vm: VmPort | undefined;

  count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  /** Lent and shared bytes of the metered VM now (zero before it exists). */
  memoryUse(): { lent: number; shared: number } {
    return this.vm?.memoryUse?.() ?? { lent: 0, shared: 0 };
  }

  /** The host port, metered. */
  wrap(host: HypervisorPort): HypervisorPort {
    return {
      createGuestMemory: (size) => host.createGuestMemory(size),
      createVm: async () => {
        const vm = await host.createVm();
        if (!vm.ok) return vm;
        this.vm = vm.value;
        return { ok: true, value: this.wrapVm(vm.value) };
      },
      ...(host.close ? { close: () => host.close?.() } : {}),
    };
  }

  private wrapVm(vm: VmPort): VmPort {
    const addVcpu: VmPort["addVcpu"] = async (index) => {
      const v = await vm.addVcpu(index);
      return v.ok ? { ok: true, value: this.wrapVcpu(v.value) } : v;
    };
    // The VmPort's other members pass through (prototype methods included).
    return new Proxy(vm, {
      get: (target, key) => {
        if (key === "addVcpu") return addVcpu;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? (value as () => unknown).bind(target) : value;
      },
    });
  }

  private wrapVcpu(vcpu: VcpuPort): VcpuPort {
    const view = new RunView(vcpu.runStructure);
    return {
      index: vcpu.index,
      runStructure: vcpu.runStructure,
      run: async () => {
        const r = await vcpu.run();
        if (!r.ok) this.count("host error");
        else {
          const exit = view.exit();
          this.count(
            exit.kind === "mmio" ? (exit.isWrite ? "mmio write" : "mmio read") : exit.kind,
          );
        }
        return r;
      },
    };
  }
}
