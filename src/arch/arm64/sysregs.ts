// System registers (MRS/MSR), Arm ARM D19. A plain ARMv8.0-A CPU with FP/AdvSIMD,
// CRC32 and LSE atomics, GICv3 system-register interface, no PAuth/BTI/MTE/SVE/PAN/VHE
// (reference: shared/reference/arm64-emulation.md). Each register is a row: how it
// reads, how it writes, and who may use it at EL0. Unallocated ID registers read as
// zero; debug registers are accepted and ignored, the PMU is sysregs-pmu.ts; the ICC_* registers go to the
// GIC CPU interface. Values move through R.lo/R.hi (no BigInt on the hot ones).

import { sysregKey as key } from "./port.js";
import { fromBig } from "./bits.js";
import { El0, constant, set, setBig, storage, type SysregRow } from "./sysreg-kit.js";
import { TIMER_ROWS } from "./sysregs-timer.js";
import { DEBUG_ROWS, PMU_IGNORED_ROWS } from "./sysregs-debug.js";
import { SELF_HOSTED_DEBUG_ROWS } from "./sysregs-breakpoints.js";
import { PMU_ROWS } from "./sysregs-pmu.js";

export { El0, type SysregRow };

// SCTLR_EL1 bits that are RES1 in ARMv8.0 (D19.2.118).
const SCTLR_RES1 = 0x30d00800;
/** CTR_EL0: 64-byte lines (DminLine, IminLine 4), CWG/ERG 4, PIPT L1I (jit/emit-sys.ts reads it too). */
export const CTR_EL0_VALUE = 0x8444c004 | 0;
/** DCZID_EL0.BS: DC ZVA zeroes 2^4 words (the DZP bit is added at EL0 without SCTLR_EL1.DZE). */
export const DCZID_BS = 4;

const ROWS: [number, SysregRow][] = [
  // Identification (D19.2): a Cortex-A53 r0p4, which Linux knows needs no Spectre/Meltdown mitigation.
  [key(3, 0, 0, 0, 0), constant("MIDR_EL1", 0x410fd034, 0, El0.ID)],
  [
    key(3, 0, 0, 0, 5),
    { name: "MPIDR_EL1", el0: El0.ID, read: (cpu) => setBig((1n << 31n) | cpu.mpidr) },
  ],
  [key(3, 0, 0, 0, 6), constant("REVIDR_EL1", 0, 0, El0.ID)],
  // EL0/EL1 AArch64 only, FP and AdvSIMD, GICv3 sysregs, CSV2 and CSV3 (not affected by Spectre-v2/Meltdown).
  [
    key(3, 0, 0, 4, 0),
    {
      name: "ID_AA64PFR0_EL1",
      el0: El0.ID,
      read: (cpu) => set(0x00000011 | (cpu.gic ? 0x01000000 : 0), 0x11000000),
    },
  ],
  // DebugVer v8, PMUVer 1 (PMUv3, pmu.ts), 6 breakpoints, 4 watchpoints, 2 context comparators.
  [key(3, 0, 0, 5, 0), constant("ID_AA64DFR0_EL1", 0x10305106, 0, El0.ID)],
  // CRC32 and LSE atomics.
  [key(3, 0, 0, 6, 0), constant("ID_AA64ISAR0_EL1", 0x00210000, 0, El0.ID)],
  // 40-bit PA, 16-bit ASID, 4 KiB granule only.
  [key(3, 0, 0, 7, 0), constant("ID_AA64MMFR0_EL1", 0x0f000022, 0, El0.ID)],
  [key(3, 1, 0, 0, 0), { name: "CCSIDR_EL1", el0: El0.NEVER, read: () => set(0x700fe01a) }],
  [key(3, 1, 0, 0, 1), constant("CLIDR_EL1", 0x0a200023)],
  [key(3, 1, 0, 0, 7), constant("AIDR_EL1", 0)],
  [key(3, 2, 0, 0, 0), storage("CSSELR_EL1")],
  [key(3, 3, 0, 0, 1), constant("CTR_EL0", CTR_EL0_VALUE, 0, El0.UCT)],
  [
    key(3, 3, 0, 0, 7),
    // 64-byte DC ZVA blocks; DZP reports whether EL0 may use it (SCTLR_EL1.DZE).
    {
      name: "DCZID_EL0",
      el0: El0.ALWAYS,
      read: (cpu) =>
        set(DCZID_BS | (cpu.el === 0 && !cpu.user && (cpu.sctlr & (1 << 14)) === 0 ? 16 : 0)),
    },
  ],

  // Memory system and exception state.
  [
    key(3, 0, 1, 0, 0),
    {
      name: "SCTLR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.sctlr),
      write: (cpu, lo) => {
        cpu.sctlr = (lo | SCTLR_RES1) & ~0x80000000;
        cpu.updateControls();
        cpu.mem.flush();
      },
    },
  ],
  [key(3, 0, 1, 0, 1), storage("ACTLR_EL1")],
  [
    key(3, 0, 1, 0, 2),
    {
      name: "CPACR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.cpacr),
      write: (cpu, lo) => void (cpu.cpacr = lo & 0x10300000),
    },
  ],
  [
    key(3, 0, 2, 0, 0),
    {
      name: "TTBR0_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.ttbr0Lo, cpu.ttbr0Hi),
      write: (cpu, lo, hi) => {
        cpu.ttbr0Lo = lo;
        cpu.ttbr0Hi = hi;
        cpu.mem.switchContext(lo, hi, cpu.ttbr1Lo, cpu.ttbr1Hi);
      },
    },
  ],
  [
    key(3, 0, 2, 0, 1),
    {
      name: "TTBR1_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.ttbr1Lo, cpu.ttbr1Hi),
      write: (cpu, lo, hi) => {
        cpu.ttbr1Lo = lo;
        cpu.ttbr1Hi = hi;
        cpu.mem.switchContext(cpu.ttbr0Lo, cpu.ttbr0Hi, lo, hi);
      },
    },
  ],
  [
    key(3, 0, 2, 0, 2),
    {
      name: "TCR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.tcrLo, cpu.tcrHi),
      write: (cpu, lo, hi) => {
        cpu.tcrLo = lo;
        cpu.tcrHi = hi & 0x7f; // IPS, AS, TBI0, TBI1 (bits 38:32); HA/HD and later are RES0
        cpu.mem.flush();
      },
    },
  ],
  [
    key(3, 0, 4, 0, 0),
    {
      name: "SPSR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.spsr),
      write: (cpu, lo) => void (cpu.spsr = lo >>> 0),
    },
  ],
  [
    key(3, 0, 4, 0, 1),
    {
      name: "ELR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.elrLo, cpu.elrHi),
      write: (cpu, lo, hi) => {
        cpu.elrLo = lo;
        cpu.elrHi = hi;
      },
    },
  ],
  [
    key(3, 0, 4, 1, 0),
    {
      name: "SP_EL0",
      el0: El0.NEVER,
      read: (cpu) => {
        if (cpu.spsel === 0) return cpu.undefinedInstruction();
        set(cpu.spEl0Lo, cpu.spEl0Hi);
      },
      write: (cpu, lo, hi) => {
        if (cpu.spsel === 0) return cpu.undefinedInstruction();
        cpu.spEl0Lo = lo;
        cpu.spEl0Hi = hi;
      },
    },
  ],
  [
    key(3, 0, 4, 2, 0),
    {
      name: "SPSel",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.spsel),
      write: (cpu, lo) => cpu.setMode(cpu.el, lo & 1),
    },
  ],
  [key(3, 0, 4, 2, 2), { name: "CurrentEL", el0: El0.NEVER, read: (cpu) => set(cpu.el << 2) }],
  [
    key(3, 3, 4, 2, 0),
    {
      name: "NZCV",
      el0: El0.ALWAYS,
      read: (cpu) => set(cpu.nzcv),
      write: (cpu, lo) => cpu.setNzcv(lo),
    },
  ],
  [
    key(3, 3, 4, 2, 1),
    {
      name: "DAIF",
      el0: El0.UMA,
      read: (cpu) => set(cpu.daif),
      write: (cpu, lo) => {
        cpu.daif = lo & 0x3c0;
        cpu.irqCheck = true;
      },
    },
  ],
  [
    key(3, 3, 4, 4, 0),
    {
      name: "FPCR",
      el0: El0.ALWAYS,
      read: (cpu) => set(cpu.fpcr),
      // AHP, DN, FZ, RMode, Stride, Len; no FP16 (FZ16) nor trapped exceptions (IxE),
      // which read as zero on an ARMv8.0 core (QEMU's cortex-a57 reads 0x07f70000).
      write: (cpu, lo) => void (cpu.fpcr = lo & 0x07f70000),
    },
  ],
  [
    key(3, 3, 4, 4, 1),
    {
      name: "FPSR",
      el0: El0.ALWAYS,
      read: (cpu) => set(cpu.fpsr),
      write: (cpu, lo) => void (cpu.fpsr = lo & 0xf800009f),
    },
  ],
  [key(3, 0, 5, 1, 0), storage("AFSR0_EL1")],
  [key(3, 0, 5, 1, 1), storage("AFSR1_EL1")],
  [
    key(3, 0, 5, 2, 0),
    {
      name: "ESR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.esr),
      write: (cpu, lo) => void (cpu.esr = lo >>> 0),
    },
  ],
  [
    key(3, 0, 6, 0, 0),
    {
      name: "FAR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.farLo, cpu.farHi),
      write: (cpu, lo, hi) => {
        cpu.farLo = lo;
        cpu.farHi = hi;
      },
    },
  ],
  [key(3, 0, 7, 4, 0), storage("PAR_EL1")],
  [
    key(3, 0, 10, 2, 0),
    {
      name: "MAIR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set(cpu.mairLo, cpu.mairHi),
      write: (cpu, lo, hi) => {
        cpu.mairLo = lo;
        cpu.mairHi = hi;
        cpu.mem.flush();
      },
    },
  ],
  [key(3, 0, 10, 3, 0), storage("AMAIR_EL1")],
  [
    key(3, 0, 12, 0, 0),
    {
      name: "VBAR_EL1",
      el0: El0.NEVER,
      read: (cpu) => {
        fromBig(BigInt.asUintN(64, BigInt(cpu.vbar)));
      },
      write: (cpu, lo, hi) => {
        cpu.vbar = hi * 4294967296 + ((lo & ~0x7ff) >>> 0);
      },
    },
  ],
  [
    key(3, 0, 12, 1, 0),
    {
      name: "ISR_EL1",
      el0: El0.NEVER,
      read: (cpu) => set((cpu.irqLine ? 0x80 : 0) | (cpu.fiqLine ? 0x40 : 0)),
    },
  ],
  [key(3, 0, 13, 0, 1), storage("CONTEXTIDR_EL1")],
  [key(3, 0, 13, 0, 4), storage("TPIDR_EL1")],
  [key(3, 3, 13, 0, 2), storage("TPIDR_EL0", El0.ALWAYS)],
  [key(3, 3, 13, 0, 3), storage("TPIDRRO_EL0", El0.ALWAYS, true)],

  ...TIMER_ROWS,
  ...DEBUG_ROWS,
];

const ID_ZERO = constant("ID (unallocated)", 0, 0, El0.ID);
const TABLE = new Map<number, SysregRow>(ROWS);

for (const [k, row] of PMU_IGNORED_ROWS) TABLE.set(k, row);
for (const [k, row] of SELF_HOSTED_DEBUG_ROWS) TABLE.set(k, row);
for (const [k, row] of PMU_ROWS) TABLE.set(k, row);

export function sysregRow(k: number): SysregRow | undefined {
  const row = TABLE.get(k);
  if (row !== undefined) return row;
  // Unallocated ID space (op0=3, op1=0, CRn=0, CRm=1..7) reads as zero (D19.2, "RAZ").
  if (k >= key(3, 0, 0, 1, 0) && k <= key(3, 0, 0, 7, 7)) return ID_ZERO;
  return undefined;
}

/** True if `k` is a GICv3 CPU interface register (ICC_*, op0=3 op1=0 CRn=12 CRm>=8, or ICC_PMR_EL1). */
export function isGicRegister(k: number): boolean {
  if (k === key(3, 0, 4, 6, 0)) return true;
  return k >>> 7 === key(3, 0, 12, 0, 0) >>> 7 && ((k >>> 3) & 15) >= 8;
}

/** ESR ISS for EC 0x18, trapped MSR/MRS/SYS (D17.2.37). */
export function sysIss(insn: number, read: boolean): number {
  const op0 = (insn >>> 19) & 3;
  const op1 = (insn >>> 16) & 7;
  const crn = (insn >>> 12) & 15;
  const crm = (insn >>> 8) & 15;
  const op2 = (insn >>> 5) & 7;
  const rt = insn & 31;
  return (
    (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0)
  );
}
