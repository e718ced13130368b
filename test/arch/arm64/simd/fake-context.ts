// A minimal SimdContext for driving executeSimd directly in tests.
import type { SimdContext } from "../../../../src/arch/arm64/simd/context.js";
import { SIMD_ROWS } from "../../../../src/arch/arm64/simd/index.js";

export class FakeContext implements SimdContext {
  readonly vregs = new Uint8Array(512);
  readonly vview = new DataView(this.vregs.buffer);
  readonly x = new BigUint64Array(32);
  fpcr = 0;
  fpsr = 0;
  nzcv = 0;

  getX(n: number): bigint {
    return n === 31 ? 0n : (this.x[n] ?? 0n);
  }
  setX(n: number, value: bigint): void {
    if (n !== 31) this.x[n] = BigInt.asUintN(64, value);
  }
  getW(n: number): number {
    return Number(this.getX(n) & 0xffffffffn);
  }
  setW(n: number, value: number): void {
    this.setX(n, BigInt(value >>> 0));
  }
  setNzcv(nzcv: number): void {
    this.nzcv = (nzcv & 0xf0000000) >>> 0;
  }
  getNzcv(): number {
    return this.nzcv;
  }
}

const compiled = SIMD_ROWS.map((row) => {
  const p = row.pattern.replace(/[ _]/g, "");
  let mask = 0;
  let value = 0;
  for (let i = 0; i < 32; i++) {
    const ch = p[i];
    if (ch === "x") continue;
    mask |= 1 << (31 - i);
    if (ch === "1") value |= 1 << (31 - i);
  }
  return { mask: mask >>> 0, value: value >>> 0, op: row.op };
});

/** The SIMD op number of an instruction word, as the core's decoder would yield it. */
export function decodeSimd(insn: number): number | undefined {
  return compiled.find((r) => (insn & r.mask) >>> 0 === r.value)?.op;
}
