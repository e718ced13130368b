// The register state in the layout of qemu's `-d cpu` (target/arm/cpu.c,
// aarch64_cpu_dump_state) for PC, X0-X30, SP and PSTATE, so that traces can be diffed
// line by line against qemu-aarch64 -singlestep -d cpu.

import type { CpuState } from "./state.js";
import { toBig } from "./bits.js";

export function traceState(cpu: CpuState): string {
  const hex = (lo: number, hi: number): string => toBig(lo, hi).toString(16).padStart(16, "0");
  const lines: string[] = [];
  let line = ` PC=${hex((cpu.pc % 4294967296) | 0, Math.floor(cpu.pc / 4294967296) | 0)} `;
  for (let i = 0; i < 31; i++) {
    line += `X${String(i).padStart(2, "0")}=${hex(cpu.xl[i]!, cpu.xh[i]!)}`;
    if ((i + 2) % 3 === 0) {
      lines.push(line);
      line = "";
    } else line += " ";
  }
  lines.push(`${line} SP=${hex(cpu.xl[32]!, cpu.xh[32]!)}`);
  const flags = `${cpu.nf ? "N" : "-"}${cpu.zf ? "Z" : "-"}${cpu.cf ? "C" : "-"}${cpu.vf ? "V" : "-"}`;
  const psr = cpu.pstate().toString(16).padStart(8, "0");
  lines.push(`PSTATE=${psr} ${flags} EL${cpu.el}${cpu.spsel ? "h" : "t"}`);
  return lines.join("\n");
}
