// The live panel's figures, sampled in the worker every SAMPLE_MS: instructions retired
// (the hypervisor's system clock, which counts every vCPU's), MIPS over the last
// interval, the VMM's exits by kind and the guest's memory use (ExitMeter), the state.

import type { Platform } from "../platform/index.js";
import type { MachineResources } from "../vmm/index.js";
import type { ExitMeter } from "./metered-host.js";
import type { VmState, VmStats } from "./protocol.js";

const SAMPLE_MS = 500;

export class StatsSampler {
  private state: VmState = "running";
  private readonly started = performance.now();
  private last = { at: this.started, instructions: 0 };
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly platform: Platform,
    private readonly meter: ExitMeter,
    private readonly resources: MachineResources,
    private readonly post: (stats: VmStats) => void,
  ) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  setState(state: VmState): void {
    this.state = state;
  }

  private memory = { lent: 0, shared: 0 };

  /** Posts the current figures; `final` keeps the memory seen last (now torn down). */
  sample(final = false): void {
    const now = performance.now();
    const instructions = Number(this.platform.hypervisor.clock.instructionsRetired());
    const dt = (now - this.last.at) / 1000;
    const mips = dt > 0 ? (instructions - this.last.instructions) / dt / 1e6 : 0;
    this.last = { at: now, instructions };
    if (!final) this.memory = this.meter.memoryUse();
    const memory = this.memory;
    this.post({
      state: this.state,
      vcpus: this.resources.cpus,
      instructions,
      mips,
      exits: { ...this.meter.counts },
      memoryLent: memory.lent,
      memoryShared: memory.shared,
      guestMemory: this.resources.memorySize,
      seconds: (now - this.started) / 1000,
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample(true);
  }
}
