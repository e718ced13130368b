// Single general-register loads and stores shared by the hot loop and the memory group.

import type { CpuState as Cpu } from "../state.js";

/** LDR (zero-extending) of 1 << size bytes into Xt/Wt. */
export function loadGpr(cpu: Cpu, size: number, lo: number, hi: number, rt: number): void {
  const mem = cpu.mem;
  let v: number;
  let h = 0;
  switch (size) {
    case 0:
      v = mem.read8(lo, hi);
      break;
    case 1:
      v = mem.read16(lo, hi);
      break;
    case 2:
      v = mem.read32(lo, hi);
      break;
    default:
      v = mem.read64(lo, hi);
      h = mem.hi;
  }
  if (rt !== 31) {
    cpu.xl[rt] = v;
    cpu.xh[rt] = h;
  }
}

export function storeGpr(cpu: Cpu, size: number, lo: number, hi: number, rt: number): void {
  const mem = cpu.mem;
  const v = cpu.xl[rt]!;
  switch (size) {
    case 0:
      mem.write8(lo, hi, v & 0xff);
      break;
    case 1:
      mem.write16(lo, hi, v & 0xffff);
      break;
    case 2:
      mem.write32(lo, hi, v);
      break;
    default:
      mem.write64(lo, hi, v, cpu.xh[rt]!);
  }
}
