// The virtual GICv3 as a guest vic's backend: frames at the machine layout's
// addresses (ARCHITECTURE.md: GICD 0x0800_0000, 64 KiB; GICR 0x080A_0000, 128 KiB
// per vCPU), emulated inside the hypervisor; VIRQs from bound sources become SPIs.

import type { GicCpuInterface } from "../cpu.js";
import type { GicAccess, GuestIrqBackend, Vic, VcpuIrqPort } from "../vic.js";
import { CpuInterface } from "./cpuif.js";
import { Distributor, GICD_SIZE } from "./distributor.js";
import { GicCore } from "./gic.js";
import { GICR_STRIDE, Redistributors } from "./redistributor.js";
import { MAX_INTID } from "./state.js";
import { DEFAULT_MPIDR_MAPPING, type MpidrMapping } from "../mpidr.js";

export const GICD_BASE = 0x0800_0000;
export const GICR_BASE = 0x080a_0000;

export class VirtualGic implements GuestIrqBackend {
  readonly core: GicCore;
  private readonly gicd: Distributor;
  private readonly gicr: Redistributors;

  constructor(
    maxVcpus: number,
    maxVirqs: number,
    vic: Pick<Vic, "sourceOf">,
    mapping: MpidrMapping = DEFAULT_MPIDR_MAPPING,
  ) {
    this.core = new GicCore(
      maxVcpus,
      Math.min(MAX_INTID, 32 + maxVirqs),
      (virq) => vic.sourceOf(virq),
      mapping,
    );
    this.gicd = new Distributor(this.core);
    this.gicr = new Redistributors(this.core);
  }

  static forVic(vic: Vic): VirtualGic {
    return new VirtualGic(vic.maxVcpus, vic.maxVirqs, vic, vic.mpidrMapping);
  }

  dispose(): void {
    for (let i = 0; i < this.core.slots.length; i++) this.core.disconnect(i);
  }

  // --- VirqController ---------------------------------------------------------------

  validVirq(virq: number): boolean {
    return this.core.validSpi(virq);
  }

  assert(virq: number): void {
    this.core.assertSpi(virq);
  }

  clear(virq: number): void {
    this.core.clearSpi(virq);
  }

  // --- vCPUs -----------------------------------------------------------------------------

  connectVcpu(index: number, port: VcpuIrqPort, mpidr: bigint): GicCpuInterface {
    this.core.connect(index, port, mpidr);
    return new CpuInterface(this.core, index);
  }

  disconnectVcpu(index: number): void {
    this.core.disconnect(index);
  }

  claims(ipa: number): boolean {
    if (ipa >= GICD_BASE && ipa < GICD_BASE + GICD_SIZE) return true;
    return ipa >= GICR_BASE && ipa < GICR_BASE + this.core.maxVcpus * GICR_STRIDE;
  }

  mmio(_index: number, a: GicAccess): bigint {
    // Registers are accessed at their natural alignment; anything else is RAZ/WI.
    if (a.ipa % a.size !== 0) return 0n;
    if (a.ipa < GICD_BASE + GICD_SIZE) {
      const off = a.ipa - GICD_BASE;
      if (a.isWrite) this.gicd.write(off, a.size, a.value);
      else return this.gicd.read(off, a.size);
      return 0n;
    }
    const rel = a.ipa - GICR_BASE;
    const frame = Math.floor(rel / GICR_STRIDE);
    const off = rel % GICR_STRIDE;
    if (a.isWrite) this.gicr.write(frame, off, a.size, a.value);
    else return this.gicr.read(frame, off, a.size);
    return 0n;
  }

  setTimerOutputs(index: number, outputs: number): void {
    this.core.setTimerLevels(index, outputs);
  }

  hasPending(index: number): boolean {
    return this.core.hasPending(index);
  }
}
