// Per-vCPU run statistics for the CLI and the benchmarks: instructions retired, why
// the vCPU stopped running (CPU exits and what the hypervisor made of them) and, when
// a compiling tier runs the CPU, its figures (cpu.jitStats). Counting costs one
// increment per exit, never anything per instruction. A vCPU's record outlives it
// (snapshotted when it is destroyed) so a run can report after its VM is gone.

import type { Arm64Cpu, JitStats } from "./cpu.js";

/** What one vCPU did. `exits` keys: CPU exit kinds and the hypervisor's dispositions. */
export interface VcpuStats {
  /** The vCPU's index in its VM (vic index, else vPM index, else affinity). */
  readonly index: number;
  readonly instructionsRetired: number;
  readonly exits: Readonly<Record<string, number>>;
  readonly jit?: JitStats;
}

/** Exit counters of one vCPU (the hypervisor's run loop increments them). */
export class VcpuCounters {
  readonly exits: Record<string, number> = {};
  private cpu: Arm64Cpu | undefined;
  private frozen: VcpuStats | undefined;

  constructor(readonly index: number) {}

  count(kind: string): void {
    this.exits[kind] = (this.exits[kind] ?? 0) + 1;
  }

  attach(cpu: Arm64Cpu): void {
    this.cpu = cpu;
  }

  /** The vCPU is going away: keep its figures, drop the CPU. */
  freeze(): void {
    this.frozen = this.snapshot();
    this.cpu = undefined;
  }

  snapshot(): VcpuStats {
    if (this.frozen) return this.frozen;
    const cpu = this.cpu;
    const jit = cpu?.jitStats;
    return {
      index: this.index,
      instructionsRetired: cpu?.instructionsRetired ?? 0,
      exits: { ...this.exits },
      ...(jit ? { jit: { ...jit, exits: { ...jit.exits } } } : {}),
    };
  }
}

/** The guest vCPUs the hypervisor has run, newest last (bounded: a long-lived server). */
export class RunStatsLog {
  private readonly records: VcpuCounters[] = [];

  constructor(private readonly limit = 256) {}

  add(counters: VcpuCounters): void {
    this.records.push(counters);
    if (this.records.length > this.limit) this.records.shift();
  }

  list(): VcpuStats[] {
    return this.records.map((r) => r.snapshot());
  }
}
