// Hand-encoded A64 instructions for tiny test guests (Arm ARM C6).
export const A64 = {
  movz: (rd: number, imm: number, shift = 0) =>
    (0xd280_0000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0,
  movk: (rd: number, imm: number, shift = 0) =>
    (0xf280_0000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0,
  /** LDR Wt, [Xn, #imm] (imm a multiple of 4). */
  ldrW: (rt: number, rn: number, imm = 0) =>
    (0xb940_0000 | ((imm / 4) << 10) | (rn << 5) | rt) >>> 0,
  /** STR Wt, [Xn, #imm]. */
  strW: (rt: number, rn: number, imm = 0) =>
    (0xb900_0000 | ((imm / 4) << 10) | (rn << 5) | rt) >>> 0,
  /** STR Xt, [Xn, #imm] (imm a multiple of 8). */
  strX: (rt: number, rn: number, imm = 0) =>
    (0xf900_0000 | ((imm / 8) << 10) | (rn << 5) | rt) >>> 0,
  hvc: (imm = 0) => (0xd400_0002 | (imm << 5)) >>> 0,
  wfi: () => 0xd503_207f,
  nop: () => 0xd503_201f,
  /** B to self. */
  spin: () => 0x1400_0000,
  /** B back `n` instructions. */
  back: (n: number) => (0x1400_0000 | ((-n >>> 0) & 0x3ff_ffff)) >>> 0,
  /** MSR <op0=3 sysreg>, Xt. */
  msr: (op1: number, crn: number, crm: number, op2: number, rt: number) =>
    (0xd518_0000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0,
  /** MRS Xt, <op0=3 sysreg>. */
  mrs: (rt: number, op1: number, crn: number, crm: number, op2: number) =>
    (0xd538_0000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0,
  /** MSR DAIFClr, #imm. */
  daifClr: (imm: number) => (0xd503_40ff | (imm << 8)) >>> 0,
};

/** Loads a 32-bit constant into Xd (MOVZ + MOVK). */
export function mov32(rd: number, value: number): number[] {
  return [A64.movz(rd, value & 0xffff), A64.movk(rd, (value >>> 16) & 0xffff, 16)];
}

export function assemble(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  return out;
}
