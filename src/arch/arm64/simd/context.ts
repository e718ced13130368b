// What the FP/AdvSIMD semantics (src/arch/arm64/simd/) need from the integer core.
// The core owns decoding, loads/stores (including LD1-4/ST1-4 and LDR/STR of Q/D/S/H/B
// registers) and the CPACR/FPEN trap check; the SIMD group owns everything that
// computes on the vector registers, FPCR and FPSR.

export interface SimdContext {
  /** V0..V31, 16 bytes each, V0 at offset 0; lanes little-endian. */
  readonly vregs: Uint8Array;
  /** A DataView over `vregs` (use little-endian accessors). */
  readonly vview: DataView;
  /** FPCR (rounding mode RMode in bits 23:22, FZ 24, DN 25, AHP 26). */
  fpcr: number;
  /** FPSR (cumulative IOC 0, DZC 1, OFC 2, UFC 3, IXC 4, IDC 7, QC 27). */
  fpsr: number;
  /** General register n as u64; n = 31 reads XZR (0). */
  getX(n: number): bigint;
  /** Writes general register n (n = 31 discards). */
  setX(n: number, value: bigint): void;
  /** Low 32 bits of general register n as an unsigned number; n = 31 reads 0. */
  getW(n: number): number;
  /** Writes the low 32 bits and zeroes the upper half (n = 31 discards). */
  setW(n: number, value: number): void;
  /** Sets NZCV (bits 31:28 of `nzcv`), for FCMP/FCCMP. */
  setNzcv(nzcv: number): void;
  /** NZCV in bits 31:28, for FCSEL/FCCMP conditions. */
  getNzcv(): number;
}

/** First operation number of the SIMD group; the integer core dispatches ops >= this. */
export const SIMD_OP_BASE = 0x1000;
