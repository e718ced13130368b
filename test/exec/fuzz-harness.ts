// Builds the random-instruction harness: a static AArch64 ELF (no libc) that, for each
// test case, loads X0-X30, SP, NZCV, FPCR and V0-V31 from a data block, executes one
// instruction word, stores the whole state back and writes it to stdout (one record per
// case, so a program that dies on an UNDEFINED word still reports the cases before it).

export const RECORD_SIZE = 0x320;
const BLOCK = 0x800;
const OUT = 0x400;
const CODE_BASE = 0x400000;
const DATA_BASE = 0x10000000;

export interface CaseInput {
  readonly word: number;
  readonly x: readonly bigint[]; // 31 values
  readonly sp: bigint;
  readonly nzcv: number; // bits 31:28
  readonly fpcr: number;
  readonly v: Uint8Array; // 512 bytes
}

const strX = (rt: number, rn: number, off: number) =>
  (0xf9000000 | ((off / 8) << 10) | (rn << 5) | rt) >>> 0;
const ldrX = (rt: number, rn: number, off: number) =>
  (0xf9400000 | ((off / 8) << 10) | (rn << 5) | rt) >>> 0;
const stpX = (a: number, b: number, rn: number, off: number) =>
  (0xa9000000 | ((off / 8) << 15) | (b << 10) | (rn << 5) | a) >>> 0;
const ldpX = (a: number, b: number, rn: number, off: number) =>
  (0xa9400000 | ((off / 8) << 15) | (b << 10) | (rn << 5) | a) >>> 0;
const stpQ = (a: number, b: number, rn: number, off: number) =>
  (0xad000000 | ((off / 16) << 15) | (b << 10) | (rn << 5) | a) >>> 0;
const ldpQ = (a: number, b: number, rn: number, off: number) =>
  (0xad400000 | ((off / 16) << 15) | (b << 10) | (rn << 5) | a) >>> 0;
const addImm = (rd: number, rn: number, imm: number) =>
  (0x91000000 | (imm << 10) | (rn << 5) | rd) >>> 0;
const movz = (rd: number, imm: number, hw: number) =>
  (0xd2800000 | (hw << 21) | (imm << 5) | rd) >>> 0;
const movk = (rd: number, imm: number, hw: number) =>
  (0xf2800000 | (hw << 21) | (imm << 5) | rd) >>> 0;
const MSR_NZCV = 0xd51b4200;
const MRS_NZCV = 0xd53b4200;
const MSR_FPCR = 0xd51b4400;
const MRS_FPCR = 0xd53b4400;
const MSR_FPSR = 0xd51b4420;
const MRS_FPSR = 0xd53b4420;
const MSR_TPIDR = 0xd51bd040;
const MRS_TPIDR = 0xd53bd040;
const RET = 0xd65f03c0;
const SVC0 = 0xd4000001;
const NOP = 0xd503201f;

function moveImm64(rd: number, value: number): number[] {
  return [movz(rd, value & 0xffff, 0), movk(rd, (value >>> 16) & 0xffff, 1)];
}

/** The code of one case: prologue, the word under test, epilogue, the block literal. */
function caseCode(word: number, block: number, at: number): number[] {
  const w: number[] = [strX(30, 0, 0x788), addImm(1, 31, 0), strX(1, 0, 0x780)];
  w.push(ldrX(1, 0, 0x100), MSR_NZCV | 1, ldrX(1, 0, 0x108), MSR_FPCR | 1, MSR_FPSR | 31);
  for (let q = 0; q < 32; q += 2) w.push(ldpQ(q, q + 1, 0, 0x110 + q * 16));
  w.push(ldrX(1, 0, 0xf8), addImm(31, 1, 0));
  for (let r = 2; r < 30; r += 2) w.push(ldpX(r, r + 1, 0, r * 8));
  w.push(ldrX(30, 0, 240), ldpX(0, 1, 0, 0));
  w.push(word);
  // Epilogue: X0 goes to TPIDR_EL0, the block address comes from a literal.
  w.push(MSR_TPIDR | 0);
  const loadIndex = w.length;
  w.push(0); // LDR X0, <literal>, patched below
  w.push(addImm(0, 0, OUT), strX(1, 0, 8));
  for (let r = 2; r < 30; r += 2) w.push(stpX(r, r + 1, 0, r * 8));
  w.push(strX(30, 0, 240), MRS_TPIDR | 1, strX(1, 0, 0), addImm(1, 31, 0), strX(1, 0, 0xf8));
  w.push(MRS_NZCV | 1, strX(1, 0, 0x100), MRS_FPSR | 1, strX(1, 0, 0x108));
  for (let q = 0; q < 32; q += 2) w.push(stpQ(q, q + 1, 0, 0x110 + q * 16));
  w.push(
    MRS_FPCR | 1,
    strX(1, 0, 0x310),
    ldrX(1, 0, 0x380),
    addImm(31, 1, 0),
    ldrX(30, 0, 0x388),
    RET,
  );
  if ((at + w.length * 4) % 8 !== 0) w.push(NOP); // the literal is 8-byte aligned
  w[loadIndex] = (0x58000000 | (((w.length - loadIndex) & 0x7ffff) << 5)) >>> 0;
  w.push(block >>> 0, Math.floor(block / 2 ** 32));
  return w;
}

const CASE_BASE = 0x1000000;
/** Bytes of code per case: the prologue, word, epilogue and literal fit in 0x180. */
const CASE_STRIDE = 0x200;

/**
 * A static ELF running `cases` in order; case k's record is written after it returns.
 * Case k sits at an address fixed by its index `first + k` (code and data), so a run
 * that restarts after a faulting case executes every word at the same PC as before.
 */
export function buildHarness(cases: readonly CaseInput[], first = 0): Uint8Array {
  const codeAt = (k: number) => CASE_BASE + (first + k) * CASE_STRIDE;
  const blockAt = (k: number) => DATA_BASE + (first + k) * BLOCK;
  const driver: number[] = [];
  cases.forEach((_c, k) => {
    driver.push(...moveImm64(0, blockAt(k)));
    const here = CODE_BASE + 0x1000 + driver.length * 4;
    driver.push((0x94000000 | (((codeAt(k) - here) / 4) & 0x3ffffff)) >>> 0);
    driver.push(movz(0, 1, 0), ...moveImm64(1, blockAt(k) + OUT), movz(2, RECORD_SIZE, 0));
    driver.push(movz(8, 64, 0), SVC0);
  });
  driver.push(movz(0, 0, 0), movz(8, 94, 0), SVC0, 0);
  if (0x1000 + driver.length * 4 > CASE_BASE - CODE_BASE) throw new Error("too many cases");
  const caseBytes = cases.length * CASE_STRIDE;
  const dataBytes = cases.length * BLOCK;
  // Segments: headers + driver, cases, data; file offsets congruent to addresses mod 4 KiB.
  const segs = [
    { vaddr: CODE_BASE, size: 0x1000 + driver.length * 4, flags: 5, offset: 0 },
    { vaddr: codeAt(0), size: caseBytes, flags: 5, offset: 0 },
    { vaddr: blockAt(0), size: dataBytes, flags: 6, offset: 0 },
  ];
  let end = 0;
  for (const seg of segs) {
    const page = Math.ceil(end / 0x1000) * 0x1000;
    seg.offset = page + (seg.vaddr % 0x1000);
    end = seg.offset + seg.size;
  }
  const file = new Uint8Array(end);
  const v = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, 2, true);
  v.setUint16(18, 183, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(CODE_BASE + 0x1000), true);
  v.setBigUint64(32, 64n, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, segs.length, true);
  segs.forEach((seg, i) => {
    const at = 64 + i * 56;
    v.setUint32(at, 1, true);
    v.setUint32(at + 4, seg.flags, true);
    v.setBigUint64(at + 8, BigInt(seg.offset), true);
    v.setBigUint64(at + 16, BigInt(seg.vaddr), true);
    v.setBigUint64(at + 24, BigInt(seg.vaddr), true);
    v.setBigUint64(at + 32, BigInt(seg.size), true);
    v.setBigUint64(at + 40, BigInt(seg.size), true);
    v.setBigUint64(at + 48, 0x1000n, true);
  });
  driver.forEach((w, i) => v.setUint32(0x1000 + i * 4, w, true));
  const [, caseSeg, dataSeg] = segs;
  if (!caseSeg || !dataSeg) throw new Error("segments");
  cases.forEach((c, k) => {
    const code = caseCode(c.word, blockAt(k), codeAt(k));
    if (code.length * 4 > CASE_STRIDE) throw new Error("case code too long");
    code.forEach((w, i) => v.setUint32(caseSeg.offset + k * CASE_STRIDE + i * 4, w, true));
    const at = dataSeg.offset + k * BLOCK;
    c.x.forEach((x, i) => v.setBigUint64(at + i * 8, BigInt.asUintN(64, x), true));
    v.setBigUint64(at + 0xf8, c.sp, true);
    v.setBigUint64(at + 0x100, BigInt(c.nzcv >>> 0), true);
    v.setBigUint64(at + 0x108, BigInt(c.fpcr >>> 0), true);
    file.set(c.v, at + 0x110);
  });
  return file;
}

export interface CaseOutput {
  readonly x: bigint[];
  readonly sp: bigint;
  readonly nzcv: bigint;
  readonly fpsr: bigint;
  readonly v: Uint8Array;
  readonly fpcr: bigint;
}

export function parseRecord(record: Uint8Array): CaseOutput {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(v.getBigUint64(i * 8, true));
  return {
    x,
    sp: v.getBigUint64(0xf8, true),
    nzcv: v.getBigUint64(0x100, true),
    fpsr: v.getBigUint64(0x108, true),
    v: record.slice(0x110, 0x310),
    fpcr: v.getBigUint64(0x310, true),
  };
}

/** Names of the state fields that differ between two records. */
export function differences(a: CaseOutput, b: CaseOutput): string[] {
  const out: string[] = [];
  a.x.forEach(
    (x, i) => x !== b.x[i] && out.push(`X${i}=${x.toString(16)}/${b.x[i]?.toString(16)}`),
  );
  if (a.sp !== b.sp) out.push(`SP=${a.sp.toString(16)}/${b.sp.toString(16)}`);
  if (a.nzcv !== b.nzcv) out.push(`NZCV=${a.nzcv.toString(16)}/${b.nzcv.toString(16)}`);
  if (a.fpsr !== b.fpsr) out.push(`FPSR=${a.fpsr.toString(16)}/${b.fpsr.toString(16)}`);
  if (a.fpcr !== b.fpcr) out.push(`FPCR=${a.fpcr.toString(16)}/${b.fpcr.toString(16)}`);
  for (let q = 0; q < 32; q++) {
    const x = Buffer.from(a.v.subarray(q * 16, q * 16 + 16)).toString("hex");
    const y = Buffer.from(b.v.subarray(q * 16, q * 16 + 16)).toString("hex");
    if (x !== y) out.push(`V${q}=${x}/${y}`);
  }
  return out;
}
