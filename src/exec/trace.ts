// Per-instruction state in the format of `qemu-aarch64 -singlestep -d cpu` (QEMU 7.2,
// target/arm/cpu.c aarch64_cpu_dump_state, for a CPU without SME or BTI such as
// cortex-a57): one record before every instruction, PC, X0-X30, SP and PSTATE, and
// with `-d cpu,fpu` also FPCR, FPSR and Q0-Q31.

import type { Arm64Cpu } from "../arch/arm64/index.js";

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

/** FP/AdvSIMD state, as `-d cpu,fpu` adds it. */
export interface TraceFpState {
  /** V0..V31, 16 bytes each, little-endian. */
  readonly vregs: Uint8Array;
  readonly fpcr: number;
  readonly fpsr: number;
}

export interface TraceState {
  readonly pc: number;
  readonly x: readonly bigint[];
  readonly sp: bigint;
  readonly nzcv: number;
  readonly el: number;
  readonly fp?: TraceFpState;
}

/** The CPU's FP/AdvSIMD registers, when it exposes them (arch's Arm64CpuExt does). */
function fpStateOf(cpu: Arm64Cpu): TraceFpState | undefined {
  const ext = cpu as Arm64Cpu & Partial<TraceFpState>;
  if (
    !(ext.vregs instanceof Uint8Array) ||
    typeof ext.fpcr !== "number" ||
    typeof ext.fpsr !== "number"
  )
    return undefined;
  return { vregs: ext.vregs.slice(0, 512), fpcr: ext.fpcr, fpsr: ext.fpsr };
}

export function captureState(cpu: Arm64Cpu, withFp = false): TraceState {
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(cpu.getX(i));
  const fp = withFp ? fpStateOf(cpu) : undefined;
  return {
    pc: cpu.pc,
    x,
    sp: cpu.getSp(),
    nzcv: cpu.nzcv >>> 0,
    el: cpu.currentEl,
    ...(fp ? { fp } : {}),
  };
}

function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}

/** Q<n> as QEMU prints it: high doubleword, colon, low doubleword. */
function qreg(vregs: Uint8Array, n: number): string {
  const view = new DataView(vregs.buffer, vregs.byteOffset + n * 16, 16);
  return `${hex64(view.getBigUint64(8, true))}:${hex64(view.getBigUint64(0, true))}`;
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
  out += `PSTATE=${pstate.toString(16).padStart(8, "0")} ${flagLetters(s.nzcv)} EL${s.el}t`;
  if (!s.fp) return `${out}\n`;
  out += `     FPCR=${hex32(s.fp.fpcr)} FPSR=${hex32(s.fp.fpsr)}\n`;
  for (let i = 0; i < 32; i++)
    out += `Q${String(i).padStart(2, "0")}=${qreg(s.fp.vregs, i)}${i & 1 ? "\n" : " "}`;
  return out;
}
