// FPCR controls and FPSR cumulative flags (Arm ARM D1.2.10 / C5.2.8-9), shared by
// every FP operation. Flags only ever accumulate: an operation ORs bits into fpsr.

/** What an FP operation reads and updates: FPCR and FPSR (the SimdContext has both). */
export interface FpEnv {
  fpcr: number;
  fpsr: number;
}

export const FPSR_IOC = 1 << 0; // invalid operation
export const FPSR_DZC = 1 << 1; // divide by zero
export const FPSR_OFC = 1 << 2; // overflow
export const FPSR_UFC = 1 << 3; // underflow
export const FPSR_IXC = 1 << 4; // inexact
export const FPSR_IDC = 1 << 7; // input denormal (flushed to zero)
export const FPSR_QC = 1 << 27; // integer saturation

export const FPCR_AHP = 1 << 26;
export const FPCR_DN = 1 << 25;
export const FPCR_FZ = 1 << 24;

/** FPRounding values of the Arm pseudocode (FPCR.RMode encodes the first four). */
export const Rounding = {
  TIEEVEN: 0,
  POSINF: 1,
  NEGINF: 2,
  ZERO: 3,
  TIEAWAY: 4,
  ODD: 5,
} as const;
export type Rounding = (typeof Rounding)[keyof typeof Rounding];

/** FPRoundingMode(fpcr): RMode, bits 23:22. */
export function fpcrRounding(env: FpEnv): Rounding {
  return ((env.fpcr >>> 22) & 3) as Rounding;
}

/** FPDecodeRounding(rmode) for the 2-bit rmode fields of FCVT* and FRINT*. */
export function decodeRounding(rmode: number): Rounding {
  return (rmode & 3) as Rounding;
}
