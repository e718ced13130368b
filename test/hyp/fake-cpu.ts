// A scripted stand-in for the arch layer's CPU, for vCPU logic that does not need
// real instructions: each run() takes the next step of a script.
import type { Arm64Cpu, CpuExit, CpuOptions, Stage2Abort } from "../../src/hyp/cpu.js";

export type Step = (cpu: FakeCpu) => CpuExit;

export class FakeCpu implements Arm64Cpu {
  interpretOnly = 0;
  instructionsRetired = 0;
  pc = 0;
  readonly x: bigint[] = new Array<bigint>(31).fill(0n);
  sp = 0n;
  nzcv = 0;
  currentEl = 1;
  irqLine = false;
  timer = 0;
  deadline: bigint | undefined;
  invalidations = 0;
  readonly log: string[] = [];
  script: Step[] = [];

  constructor(readonly options: CpuOptions) {}

  run(budget: number): CpuExit {
    const step = this.script.shift();
    if (!step) {
      this.instructionsRetired += budget;
      return { kind: "budget" };
    }
    this.instructionsRetired += 1;
    return step(this);
  }
  reset(pc: number): void {
    this.pc = pc;
    this.x.fill(0n);
    this.sp = 0n;
    this.log.push(`reset ${pc.toString(16)}`);
  }
  getX(i: number): bigint {
    return this.x[i] ?? 0n;
  }
  setX(i: number, v: bigint): void {
    if (i < 31) this.x[i] = BigInt.asUintN(64, v);
  }
  getSp(): bigint {
    return this.sp;
  }
  setSp(v: bigint): void {
    this.sp = v;
  }
  completeMmioRead(value: bigint): void {
    this.log.push(`mmio-read ${value}`);
  }
  completeMmio(): void {
    this.log.push("mmio-done");
  }
  injectExternalAbort(a: Stage2Abort): void {
    this.log.push(`abort ${a.ipa.toString(16)}`);
  }
  setIrqLine(level: boolean): void {
    this.irqLine = level;
  }
  setFiqLine(): void {}
  timerOutputs(): number {
    return this.timer;
  }
  nextTimerDeadline(): bigint | undefined {
    return this.deadline;
  }
  invalidateStage2(): void {
    this.invalidations++;
  }
}

export function abort(ipa: number, isWrite: boolean, value = 0n, size = 4): Stage2Abort {
  return {
    ipa,
    isWrite,
    isFetch: false,
    isTableWalk: false,
    syndromeValid: true,
    size,
    register: 1,
    signExtend: false,
    sixtyFour: false,
    value,
    pc: 0,
  };
}

/** A factory that records every CPU it makes. */
export function fakeFactory(): { cpus: FakeCpu[]; factory: (o: CpuOptions) => FakeCpu } {
  const cpus: FakeCpu[] = [];
  return {
    cpus,
    factory: (o) => {
      const c = new FakeCpu(o);
      cpus.push(c);
      return c;
    },
  };
}
