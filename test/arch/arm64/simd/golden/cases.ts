// The instructions the QEMU golden file covers, and how their inputs are drawn.
// kind: "i" random/edge integer bytes; "s"/"d"/"h" special and random FP values of
// that precision in every lane; each FP case also runs under several FPCR settings.

export interface CaseSpec {
  readonly asm: string;
  readonly kind: "i" | "s" | "d" | "h";
  /** Number of input sets (default 6). */
  readonly count?: number;
}

const i = (asm: string, count = 6): CaseSpec => ({ asm, kind: "i", count });
const s = (asm: string, count = 24): CaseSpec => ({ asm, kind: "s", count });
const d = (asm: string, count = 24): CaseSpec => ({ asm, kind: "d", count });
const h = (asm: string, count = 12): CaseSpec => ({ asm, kind: "h", count });

export const CASES: readonly CaseSpec[] = [
  // Moves and transfers
  i("fmov s0, w1"), i("fmov x0, d1"), i("fmov d0, x1"), i("fmov w0, s1"),
  i("fmov v0.d[1], x1"), i("fmov x0, v1.d[1]"), i("fmov d0, #1.5"), i("fmov s0, #-0.125"),
  i("fmov v0.4s, #2.0"), i("fmov v0.2d, #-3.0"),
  i("movi v0.16b, #0xab"), i("movi v0.2d, #0xff00ff0000ff00ff"), i("movi v0.4s, #0x12, lsl #16"),
  i("mvni v0.8h, #0x34, lsl #8"), i("movi v0.2s, #0x56, msl #8"), i("mvni v0.4s, #0x56, msl #16"),
  i("orr v0.4s, #0x11, lsl #8"), i("bic v0.8h, #0xff"), i("movi d0, #0xff00ff00ff00ff00"),
  i("dup v0.16b, v1.b[5]"), i("dup v0.4s, w1"), i("dup v0.2d, x1"), i("dup v0.8h, v1.h[7]"),
  i("ins v0.s[2], w1"), i("mov v0.d[1], v1.d[0]"), i("mov v0.b[15], v1.b[3]"),
  i("umov w0, v1.b[9]"), i("umov w0, v1.h[3]"), i("mov x0, v1.d[1]"), i("smov x0, v1.b[2]"),
  i("smov w0, v1.h[6]"), i("smov x0, v1.s[3]"), i("mov b0, v1.b[9]"), i("mov d0, v1.d[1]"),
  i("ext v0.16b, v1.16b, v2.16b, #7"), i("ext v0.8b, v1.8b, v2.8b, #3"),
  i("cnt v0.16b, v1.16b"), i("addv b0, v1.16b"), i("addv h0, v1.8h"), i("addv s0, v1.4s"),
  i("umaxv b0, v1.16b"), i("uminv h0, v1.4h"), i("smaxv s0, v1.4s"), i("sminv b0, v1.8b"),
  i("uaddlv h0, v1.16b"), i("saddlv s0, v1.8h"), i("uaddlv d0, v1.4s"),
  // Vector integer
  i("add v0.16b, v1.16b, v2.16b"), i("sub v0.2d, v1.2d, v2.2d"), i("mul v0.8h, v1.8h, v2.8h"),
  i("mla v0.4s, v1.4s, v2.4s"), i("mls v0.16b, v1.16b, v2.16b"), i("pmul v0.16b, v1.16b, v2.16b"),
  i("and v0.16b, v1.16b, v2.16b"), i("orn v0.8b, v1.8b, v2.8b"), i("bic v0.16b, v1.16b, v2.16b"),
  i("eor v0.16b, v1.16b, v2.16b"), i("bsl v0.16b, v1.16b, v2.16b"), i("bit v0.16b, v1.16b, v2.16b"),
  i("bif v0.16b, v1.16b, v2.16b"), i("not v0.16b, v1.16b"), i("rbit v0.8b, v1.8b"),
  i("cmeq v0.16b, v1.16b, v2.16b"), i("cmgt v0.8h, v1.8h, v2.8h"), i("cmge v0.4s, v1.4s, v2.4s"),
  i("cmhi v0.2d, v1.2d, v2.2d"), i("cmhs v0.16b, v1.16b, v2.16b"), i("cmtst v0.4s, v1.4s, v2.4s"),
  i("cmeq v0.16b, v1.16b, #0"), i("cmlt v0.8h, v1.8h, #0"), i("cmle v0.2d, v1.2d, #0"),
  i("cmgt v0.4s, v1.4s, #0"), i("cmge v0.8b, v1.8b, #0"),
  i("shl v0.4s, v1.4s, #5"), i("sshr v0.16b, v1.16b, #3"), i("ushr v0.2d, v1.2d, #63"),
  i("srshr v0.8h, v1.8h, #4"), i("urshr v0.4s, v1.4s, #32"), i("ssra v0.2d, v1.2d, #7"),
  i("usra v0.16b, v1.16b, #8"), i("sli v0.8h, v1.8h, #3"), i("sri v0.4s, v1.4s, #9"),
  i("shrn v0.8b, v1.8h, #4"), i("shrn2 v0.16b, v1.8h, #4"), i("rshrn v0.4h, v1.4s, #16"),
  i("sqshrn v0.8b, v1.8h, #2"), i("uqshrn v0.2s, v1.2d, #20"), i("sqrshrun v0.4h, v1.4s, #3"),
  i("sqxtn v0.8b, v1.8h"), i("uqxtn2 v0.8h, v1.4s"), i("xtn v0.2s, v1.2d"), i("sqxtun v0.8b, v1.8h"),
  i("sshll v0.8h, v1.8b, #3"), i("ushll2 v0.4s, v1.8h, #0"), i("sxtl v0.2d, v1.2s"),
  i("sqshl v0.16b, v1.16b, #3"), i("uqshl v0.4s, v1.4s, #30"), i("sqshlu v0.8h, v1.8h, #4"),
  i("sshl v0.16b, v1.16b, v2.16b"), i("ushl v0.2d, v1.2d, v2.2d"), i("srshl v0.8h, v1.8h, v2.8h"),
  i("uqrshl v0.4s, v1.4s, v2.4s"), i("sqshl v0.16b, v1.16b, v2.16b"),
  i("umax v0.16b, v1.16b, v2.16b"), i("smin v0.8h, v1.8h, v2.8h"), i("umaxp v0.16b, v1.16b, v2.16b"),
  i("sminp v0.4s, v1.4s, v2.4s"), i("addp v0.2d, v1.2d, v2.2d"), i("addp v0.8b, v1.8b, v2.8b"),
  i("abs v0.16b, v1.16b"), i("neg v0.2d, v1.2d"), i("sqabs v0.8h, v1.8h"), i("sqneg v0.4s, v1.4s"),
  i("uaddl v0.8h, v1.8b, v2.8b"), i("saddl2 v0.4s, v1.8h, v2.8h"), i("uaddw v0.2d, v1.2d, v2.2s"),
  i("ssubl v0.8h, v1.8b, v2.8b"), i("usubw2 v0.4s, v1.4s, v2.8h"), i("umull v0.8h, v1.8b, v2.8b"),
  i("smull2 v0.2d, v1.4s, v2.4s"), i("umlal v0.4s, v1.4h, v2.4h"), i("smlal v0.8h, v1.8b, v2.8b"),
  i("umlsl2 v0.2d, v1.4s, v2.4s"), i("pmull v0.1q, v1.1d, v2.1d"), i("pmull2 v0.1q, v1.2d, v2.2d"),
  i("pmull v0.8h, v1.8b, v2.8b"), i("addhn v0.8b, v1.8h, v2.8h"), i("raddhn2 v0.8h, v1.4s, v2.4s"),
  i("sqdmull v0.4s, v1.4h, v2.4h"), i("sqdmlal v0.2d, v1.2s, v2.2s"), i("sqdmulh v0.8h, v1.8h, v2.8h"),
  i("sqrdmulh v0.4s, v1.4s, v2.4s"),
  i("sqadd v0.16b, v1.16b, v2.16b"), i("uqadd v0.8h, v1.8h, v2.8h"), i("sqsub v0.2d, v1.2d, v2.2d"),
  i("uqsub v0.4s, v1.4s, v2.4s"), i("uabd v0.16b, v1.16b, v2.16b"), i("sabd v0.8h, v1.8h, v2.8h"),
  i("uaba v0.4s, v1.4s, v2.4s"), i("uabdl v0.8h, v1.8b, v2.8b"), i("sabal v0.4s, v1.4h, v2.4h"),
  i("shadd v0.16b, v1.16b, v2.16b"), i("urhadd v0.8h, v1.8h, v2.8h"), i("uhsub v0.4s, v1.4s, v2.4s"),
  i("rev16 v0.16b, v1.16b"), i("rev32 v0.8h, v1.8h"), i("rev64 v0.4s, v1.4s"), i("rev64 v0.16b, v1.16b"),
  i("zip1 v0.16b, v1.16b, v2.16b"), i("zip2 v0.4s, v1.4s, v2.4s"), i("uzp1 v0.8h, v1.8h, v2.8h"),
  i("uzp2 v0.16b, v1.16b, v2.16b"), i("trn1 v0.4s, v1.4s, v2.4s"), i("trn2 v0.8b, v1.8b, v2.8b"),
  i("tbl v0.16b, {v1.16b}, v2.16b"), i("tbl v0.16b, {v1.16b, v2.16b}, v3.16b"),
  i("tbx v0.8b, {v1.16b, v2.16b, v3.16b}, v4.8b"), i("tbl v0.16b, {v1.16b, v2.16b, v3.16b, v4.16b}, v5.16b"),
  i("uaddlp v0.8h, v1.16b"), i("sadalp v0.2d, v1.4s"), i("cls v0.8h, v1.8h"), i("clz v0.4s, v1.4s"),
  i("shll v0.8h, v1.8b, #8"), i("suqadd v0.16b, v1.16b"), i("usqadd v0.4s, v1.4s"),
  i("mul v0.8h, v1.8h, v2.h[5]"), i("mla v0.4s, v1.4s, v2.s[3]"), i("umull v0.4s, v1.4h, v2.h[1]"),
  i("smlal2 v0.2d, v1.4s, v2.s[2]"), i("sqdmulh v0.4s, v1.4s, v2.s[1]"),
  // Scalar integer
  i("add d0, d1, d2"), i("sub d0, d1, d2"), i("cmeq d0, d1, d2"), i("cmhi d0, d1, d2"),
  i("cmtst d0, d1, d2"), i("cmeq d0, d1, #0"), i("ushr d0, d1, #12"), i("sshr d0, d1, #64"),
  i("shl d0, d1, #17"), i("sli d0, d1, #8"), i("sri d0, d1, #8"), i("usra d0, d1, #3"),
  i("addp d0, v1.2d"), i("sqadd b0, b1, b2"), i("uqsub h0, h1, h2"), i("sqshl s0, s1, #7"),
  i("sqxtn b0, h1"), i("uqxtn s0, d1"), i("sqshrn h0, s1, #5"), i("sqdmull s0, h1, h2"),
  i("sqdmulh s0, s1, v2.s[3]"), i("abs d0, d1"), i("neg d0, d1"), i("sqneg b0, b1"),
  i("sshl d0, d1, d2"), i("urshl d0, d1, d2"),
  // Scalar FP
  s("fadd s0, s1, s2"), d("fadd d0, d1, d2"), s("fsub s0, s1, s2"), d("fsub d0, d1, d2"),
  s("fmul s0, s1, s2"), d("fmul d0, d1, d2"), s("fdiv s0, s1, s2"), d("fdiv d0, d1, d2"),
  s("fnmul s0, s1, s2"), d("fnmul d0, d1, d2"), s("fsqrt s0, s1"), d("fsqrt d0, d1"),
  s("fabs s0, s1"), d("fneg d0, d1"), s("fmax s0, s1, s2"), d("fmin d0, d1, d2"),
  s("fmaxnm s0, s1, s2"), d("fminnm d0, d1, d2"),
  s("fmadd s0, s1, s2, s3", 48), d("fmadd d0, d1, d2, d3", 48), s("fmsub s0, s1, s2, s3"),
  d("fmsub d0, d1, d2, d3"), s("fnmadd s0, s1, s2, s3"), d("fnmsub d0, d1, d2, d3"),
  s("fcmp s1, s2"), d("fcmpe d1, d2"), s("fcmp s1, #0.0"), d("fcmpe d1, #0.0"),
  s("fccmp s1, s2, #5, ne"), d("fccmpe d1, d2, #2, ge"), s("fcsel s0, s1, s2, lt"), d("fcsel d0, d1, d2, hi"),
  s("fcvt d0, s1"), d("fcvt s0, d1"), s("fcvt h0, s1"), d("fcvt h0, d1"), h("fcvt s0, h1"), h("fcvt d0, h1"),
  s("frintn s0, s1"), d("frintp d0, d1"), s("frintm s0, s1"), d("frintz d0, d1"), s("frinta s0, s1"),
  d("frintx d0, d1"), s("frinti s0, s1"), d("frinta d0, d1"),
  s("fcvtzs w0, s1"), d("fcvtzs x0, d1"), s("fcvtzu x0, s1"), d("fcvtzu w0, d1"), s("fcvtns w0, s1"),
  d("fcvtnu x0, d1"), s("fcvtas x0, s1"), d("fcvtau w0, d1"), s("fcvtps w0, s1"), d("fcvtms x0, d1"),
  s("fcvtzs w0, s1, #8"), d("fcvtzu x0, d1, #40"),
  i("scvtf d0, x1", 24), i("ucvtf d0, x1", 24), i("scvtf s0, x1", 24), i("ucvtf s0, x1", 24),
  i("scvtf s0, w1", 12), i("ucvtf d0, w1", 12), i("scvtf d0, x1, #12", 12), i("ucvtf s0, w1, #3", 12),
  // Vector FP
  s("fadd v0.4s, v1.4s, v2.4s"), d("fsub v0.2d, v1.2d, v2.2d"), s("fmul v0.4s, v1.4s, v2.4s"),
  d("fdiv v0.2d, v1.2d, v2.2d"), s("fmla v0.4s, v1.4s, v2.4s"), d("fmls v0.2d, v1.2d, v2.2d"),
  s("fmax v0.4s, v1.4s, v2.4s"), d("fminnm v0.2d, v1.2d, v2.2d"), s("fmaxp v0.4s, v1.4s, v2.4s"),
  d("faddp v0.2d, v1.2d, v2.2d"), s("faddp s0, v1.2s"), d("fmaxnmp d0, v1.2d"), s("fmaxv s0, v1.4s"),
  s("fminnmv s0, v1.4s"), s("fabs v0.4s, v1.4s"), d("fneg v0.2d, v1.2d"), s("fsqrt v0.4s, v1.4s"),
  s("fcmeq v0.4s, v1.4s, v2.4s"), d("fcmge v0.2d, v1.2d, v2.2d"), s("fcmgt v0.4s, v1.4s, #0.0"),
  d("fcmle v0.2d, v1.2d, #0.0"), s("facgt v0.4s, v1.4s, v2.4s"), s("fabd v0.4s, v1.4s, v2.4s"),
  s("fcvtzs v0.4s, v1.4s"), d("fcvtzu v0.2d, v1.2d"), s("fcvtns v0.4s, v1.4s"), i("scvtf v0.4s, v1.4s"),
  i("ucvtf v0.2d, v1.2d"), s("fcvtl v0.2d, v1.2s"), d("fcvtn v0.2s, v1.2d"), d("fcvtn2 v0.4s, v1.2d"),
  s("fcvtn v0.4h, v1.4s"), h("fcvtl v0.4s, v1.4h"), d("fcvtxn v0.2s, v1.2d"), s("frintm v0.4s, v1.4s"),
  s("fmul v0.4s, v1.4s, v2.s[2]"), d("fmla v0.2d, v1.2d, v2.d[1]"), s("fmulx v0.4s, v1.4s, v2.4s"),
  s("frecps v0.4s, v1.4s, v2.4s"), d("frsqrts v0.2d, v1.2d, v2.2d"), s("fmla s0, s1, v2.s[1]"),
  s("fcvtzs v0.4s, v1.4s, #4"), i("ucvtf v0.4s, v1.4s, #16"), s("frecpx s0, s1"),
];
