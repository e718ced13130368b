// Hand-encoded A64 instructions for the attack guests (Arm ARM C6). A local copy so the
// adversarial tests do not depend on another layer's test helpers.
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
  /** LDRB Wt, [Xn, #imm]. */
  ldrB: (rt: number, rn: number, imm = 0) => (0x3940_0000 | (imm << 10) | (rn << 5) | rt) >>> 0,
  /** STRB Wt, [Xn, #imm]. */
  strB: (rt: number, rn: number, imm = 0) => (0x3900_0000 | (imm << 10) | (rn << 5) | rt) >>> 0,
  /** LDR Xt, [Xn, #imm] (imm a multiple of 8). */
  ldrX: (rt: number, rn: number, imm = 0) =>
    (0xf940_0000 | ((imm / 8) << 10) | (rn << 5) | rt) >>> 0,
  /** STR Xt, [Xn, #imm] (imm a multiple of 8). */
  strX: (rt: number, rn: number, imm = 0) =>
    (0xf900_0000 | ((imm / 8) << 10) | (rn << 5) | rt) >>> 0,
  /** LDP Xt1, Xt2, [Xn] (signed offset 0): no valid ISS syndrome on a stage-2 abort. */
  ldpX: (rt1: number, rt2: number, rn: number) =>
    (0xa940_0000 | (rt2 << 10) | (rn << 5) | rt1) >>> 0,
  /** LDXR Wt, [Xn]. */
  ldxrW: (rt: number, rn: number) => (0x885f_7c00 | (rn << 5) | rt) >>> 0,
  /** STXR Ws, Wt, [Xn]. */
  stxrW: (rs: number, rt: number, rn: number) => (0x8800_7c00 | (rs << 16) | (rn << 5) | rt) >>> 0,
  hvc: (imm = 0) => (0xd400_0002 | (imm << 5)) >>> 0,
  wfi: () => 0xd503_207f,
  nop: () => 0xd503_201f,
  /** B to self. */
  spin: () => 0x1400_0000,
  /** MSR <op0=3 sysreg>, Xt. */
  msr: (op1: number, crn: number, crm: number, op2: number, rt: number) =>
    (0xd518_0000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0,
  /** MRS Xt, <op0=3 sysreg>. */
  mrs: (rt: number, op1: number, crn: number, crm: number, op2: number) =>
    (0xd538_0000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0,
};

/** Loads a 64-bit constant into Xd (MOVZ + 3 MOVK). */
export function mov64(rd: number, value: bigint): number[] {
  const h = (i: number) => Number((value >> BigInt(16 * i)) & 0xffffn);
  return [
    A64.movz(rd, h(0)),
    A64.movk(rd, h(1), 16),
    A64.movk(rd, h(2), 32),
    A64.movk(rd, h(3), 48),
  ];
}

export function assemble(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  return out;
}
