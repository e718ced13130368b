// Per-instruction state in the format of `qemu-aarch64 -singlestep -d cpu` (QEMU 7.2,
// target/arm/cpu.c aarch64_cpu_dump_state, for a CPU without SME or BTI such as
// cortex-a57): one record before every instruction, PC, X0-X30, SP and PSTATE.

import type { Arm64Cpu } from "../arch/arm64/port.js";

function hex64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

/** NZCV letters as QEMU prints them: "-Z--" for Z only. */
function flagLetters(nzcv: number): string {
  return (
    (nzcv & 0x8000_0000 ? "N" : "-") +
    (nzcv & 0x4000_0000 ? "Z" : "-") +
    (nzcv & 0x2000_0000 ? "C" : "-") +
    (nzcv & 0x1000_0000 ? "V" : "-")
  );
}

export interface TraceState {
  readonly pc: number;
  readonly x: readonly bigint[];
  readonly sp: bigint;
  readonly nzcv: number;
  readonly el: number;
}

export function captureState(cpu: Arm64Cpu): TraceState {
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(cpu.getX(i));
  return { pc: cpu.pc, x, sp: cpu.getSp(), nzcv: cpu.nzcv >>> 0, el: cpu.currentEl };
}

/** One trace record, newline-terminated, byte-identical to QEMU's for the same state. */
export function formatState(s: TraceState): string {
  let out = ` PC=${hex64(BigInt(s.pc))} `;
  for (let i = 0; i < 31; i++) {
    const sep = (i + 2) % 3 === 0 ? "\n" : " ";
    out += `X${String(i).padStart(2, "0")}=${hex64(s.x[i] ?? 0n)}${sep}`;
  }
  out += ` SP=${hex64(s.sp)}\n`;
  // PSTATE as SPSR bits: NZCV, and M[3:0] = EL << 2 (t: SP_EL0 at EL0).
  const pstate = ((s.nzcv & 0xf000_0000) | (s.el << 2)) >>> 0;
  out += `PSTATE=${pstate.toString(16).padStart(8, "0")} ${flagLetters(s.nzcv)} EL${s.el}t\n`;
  return out;
}
