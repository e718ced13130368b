// Dynamic VIRQ numbers for one virtual interrupt controller. The RM hands them out
// from SPI 960 (INTID 992) upward (gunyah-abi.md section 3), continuing into the
// extended SPI range (INTID 4096-5119) when the 28 high SPIs are used up, which Linux
// translates as ESPI n-4096. Freed numbers are reused lowest first.

import { RM_VIRQ_SPI_BASE, SPI_INTID_BASE } from "./protocol/vm.js";

const FIRST_INTID = SPI_INTID_BASE + RM_VIRQ_SPI_BASE; // 992
const SPI_END = 1020; // INTIDs 1020-1023 are special
const ESPI_FIRST = 4096;
const ESPI_END = 5120;

export class VirqAllocator {
  private readonly used = new Set<number>();

  allocate(): number | undefined {
    for (let v = FIRST_INTID; v < SPI_END; v++) if (this.claim(v)) return v;
    for (let v = ESPI_FIRST; v < ESPI_END; v++) if (this.claim(v)) return v;
    return undefined;
  }

  free(virq: number): void {
    this.used.delete(virq);
  }

  get inUse(): number {
    return this.used.size;
  }

  private claim(v: number): boolean {
    if (this.used.has(v)) return false;
    this.used.add(v);
    return true;
  }
}
