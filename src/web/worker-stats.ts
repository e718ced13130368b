// The live panel's figures, sampled in the worker every SAMPLE_MS. Instructions retired,
// exits by kind and the compiling tier's share are the hypervisor's run statistics
// totalled by the platform's runTotals, the same figures `gunyah run --stats` prints,
// so the page and the CLI cannot disagree; MIPS is over the last interval. Memory lent
// and shared (which the run statistics do not keep) come from the host (MemoryMeter).

import { runTotals, type Platform } from "../platform/index.js";
import type { MachineResources } from "../vmm/index.js";
import type { MemoryMeter } from "./memory-meter.js";
import type { VmState, VmStats } from "./protocol.js";

const SAMPLE_MS = 500;

export class StatsSampler {
  private state: VmState = "running";
  private readonly started = performance.now();
  private last = { at: this.started, instructions: 0 };
  private readonly timer: ReturnType<typeof setInterval>;
  private memory = { lent: 0, shared: 0 };

  constructor(
    private readonly platform: Platform,
    private readonly meter: MemoryMeter,
    private readonly resources: MachineResources,
    private readonly post: (stats: VmStats) => void,
  ) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  setState(state: VmState): void {
    this.state = state;
  }

  /** Posts the current figures; `final` keeps the memory seen last (now torn down). */
  sample(final = false): void {
    const now = performance.now();
    const seconds = (now - this.started) / 1000;
    const totals = runTotals(this.platform.hypervisor.vcpuStats(), seconds);
    const dt = (now - this.last.at) / 1000;
    const mips = dt > 0 ? (totals.instructions - this.last.instructions) / dt / 1e6 : 0;
    this.last = { at: now, instructions: totals.instructions };
    if (!final) this.memory = this.meter.memoryUse();
    this.post({
      state: this.state,
      vcpus: this.resources.cpus,
      instructions: totals.instructions,
      mips: final ? totals.mips : mips,
      exits: totals.exits,
      ...(totals.jit ? { compiledShare: totals.jit.compiledShare } : {}),
      memoryLent: this.memory.lent,
      memoryShared: this.memory.shared,
      guestMemory: this.resources.memorySize,
      seconds,
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample(true);
  }
}
