// What an external debugger reads and writes while the vCPU is stopped: registers by
// GDB's AArch64 register number, and guest memory by virtual address through the
// vCPU's current translation. A debugger access is not a guest access: it uses no TLB
// entry and fills none, raises no fault and ignores stage-1 permissions (a debugger
// may read execute-only code and write read-only data), as QEMU's
// cpu_memory_rw_debug does; stage 2 still decides what exists and is writable.

import type { CpuState as Cpu } from "./state.js";
import type { SimdContext } from "./simd/context.js";
import type { DebugAccessPort } from "./port.js";
import { R, fromBig, toBig } from "./bits.js";
import { walk, PA_BITS } from "./mmu/translate.js";

/**
 * Register numbers: GDB's AArch64 numbering from the org.gnu.gdb.aarch64.core and
 * .fpu features: X0-X30 0..30, SP 31, PC 32, CPSR 33, V0-V31 34..65, FPSR 66, FPCR 67.
 */
export const DebugReg = {
  SP: 31,
  PC: 32,
  CPSR: 33,
  V0: 34,
  FPSR: 66,
  FPCR: 67,
  COUNT: 68,
} as const;

/** Where a debugger access to one byte's page ends up. */
export type DebugTranslation =
  | {
      readonly kind: "ok";
      readonly bytes: Uint8Array;
      readonly offset: number;
      readonly writable: boolean;
    }
  /** No stage-1 translation (or outside the physical address space). */
  | { readonly kind: "unmapped" }
  /** Translated to an IPA that stage 2 does not back (yet: demand paging). */
  | { readonly kind: "stage2"; readonly ipa: number };

const TWO32 = 4294967296;

export class DebugAccess implements DebugAccessPort {
  constructor(private readonly cpu: Cpu & SimdContext) {}

  /** The register's value (unsigned), or undefined for an unknown number. */
  readRegister(reg: number): bigint | undefined {
    const cpu = this.cpu;
    if (!Number.isInteger(reg) || reg < 0 || reg >= DebugReg.COUNT) return undefined;
    if (reg <= 30) return toBig(cpu.xl[reg]!, cpu.xh[reg]!);
    if (reg === DebugReg.SP) return toBig(cpu.xl[32]!, cpu.xh[32]!);
    if (reg === DebugReg.PC) return BigInt.asUintN(64, BigInt(cpu.pc));
    if (reg === DebugReg.CPSR) return BigInt(cpu.pstate());
    if (reg === DebugReg.FPSR) return BigInt(cpu.fpsr >>> 0);
    if (reg === DebugReg.FPCR) return BigInt(cpu.fpcr >>> 0);
    const at = (reg - DebugReg.V0) * 16;
    const v = cpu.vview;
    const lo = toBig(v.getInt32(at, true), v.getInt32(at + 4, true));
    const hi = toBig(v.getInt32(at + 8, true), v.getInt32(at + 12, true));
    return (hi << 64n) | lo;
  }

  /** Writes a register; false for an unknown number or a value that does not fit. */
  writeRegister(reg: number, value: bigint): boolean {
    const cpu = this.cpu;
    if (!Number.isInteger(reg) || reg < 0 || reg >= DebugReg.COUNT || value < 0n) return false;
    const isVector = reg >= DebugReg.V0 && reg < DebugReg.FPSR;
    if (value >> (isVector ? 128n : 64n) !== 0n) return false;
    if (reg <= 30 || reg === DebugReg.SP) {
      fromBig(value);
      const slot = reg <= 30 ? reg : 32;
      cpu.xl[slot] = R.lo;
      cpu.xh[slot] = R.hi;
    } else if (reg === DebugReg.PC) {
      cpu.pc = Number(BigInt.asIntN(64, value));
      cpu.fetchBase = NaN;
    } else if (reg === DebugReg.CPSR) {
      this.writeCpsr(Number(value & 0xffff_ffffn));
    } else if (reg === DebugReg.FPSR) {
      cpu.fpsr = Number(value & 0xf800_009fn);
    } else if (reg === DebugReg.FPCR) {
      cpu.fpcr = Number(value & 0x07f7_0000n);
    } else {
      const at = (reg - DebugReg.V0) * 16;
      for (let i = 0; i < 16; i++) cpu.vregs[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
    }
    return true;
  }

  /** NZCV, DAIF, SS and the mode (EL0t, EL1t, EL1h only; another mode is ignored). */
  private writeCpsr(v: number): void {
    const cpu = this.cpu;
    cpu.nf = (v >>> 31) & 1;
    cpu.zf = (v >>> 30) & 1;
    cpu.cf = (v >>> 29) & 1;
    cpu.vf = (v >>> 28) & 1;
    cpu.daif = v & 0x3c0;
    cpu.pstateSS = (v >>> 21) & 1;
    const m = v & 0x1f;
    if (!cpu.user && (m === 0 || m === 4 || m === 5)) cpu.setMode(m >>> 2, m & 1);
    cpu.irqCheck = true;
  }

  /** Translates `va` (a signed 64-bit value) for a debugger access. */
  translate(va: number, isWrite: boolean): DebugTranslation {
    const cpu = this.cpu;
    const lo = va | 0;
    const hi = Math.floor(va / TWO32) | 0;
    let ipa: number;
    if (cpu.user || (cpu.sctlr & 1) === 0) {
      if (va < 0 || va >= 2 ** PA_BITS) return { kind: "unmapped" };
      ipa = va;
    } else {
      const r = walk(cpu, cpu.mem, lo, hi, true);
      if ("kind" in r)
        return r.kind === "stage2" ? { kind: "stage2", ipa: r.ipa } : { kind: "unmapped" };
      ipa = r.ipa;
    }
    const page = cpu.mem.port.lookup(Math.floor(ipa / 4096));
    if (page === undefined || !page.read) return { kind: "stage2", ipa };
    if (isWrite && !page.write) return { kind: "unmapped" };
    return {
      kind: "ok",
      bytes: page.bytes,
      offset: page.offset + (ipa % 4096),
      writable: page.write,
    };
  }

  /**
   * Reads up to `length` bytes at `va`, stopping at the first byte that cannot be
   * reached; `stop` says why (undefined when all were read).
   */
  read(va: number, length: number): { data: Uint8Array; stop?: DebugTranslation } {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const t = this.translate(va + done, false);
      if (t.kind !== "ok") return { data: out.subarray(0, done), stop: t };
      const inPage = Math.min(length - done, 4096 - ((va + done) & 0xfff));
      out.set(t.bytes.subarray(t.offset, t.offset + inPage), done);
      done += inPage;
    }
    return { data: out };
  }

  /** Writes `data` at `va`; returns how many bytes were written and why it stopped. */
  write(va: number, data: Uint8Array): { written: number; stop?: DebugTranslation } {
    let done = 0;
    while (done < data.length) {
      const t = this.translate(va + done, true);
      if (t.kind !== "ok") return { written: done, stop: t };
      const inPage = Math.min(data.length - done, 4096 - ((va + done) & 0xfff));
      t.bytes.set(data.subarray(done, done + inPage), t.offset);
      done += inPage;
    }
    return { written: done };
  }
}
