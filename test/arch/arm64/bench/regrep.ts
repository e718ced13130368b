// Register-representation micro-benchmark (not part of `npm test`):
//   node --import tsx test/arch/arm64/bench/regrep.ts
// Times a 64-bit ADD, an ADDS that computes NZCV, and a 64-bit LSR by a variable
// amount for three representations of X0-X31: Int32Array halves with a branchless
// carry (the one the CPU uses), BigUint64Array with BigInt arithmetic, and
// Float64Array pairs of 32-bit halves. Figures in src/arch/arm64/README.md.

import { performance } from "node:perf_hooks";

const N = 20_000_000;

function time(label: string, fn: () => number): void {
  fn(); // warm-up
  const c0 = process.cpuUsage();
  const sink = fn();
  const u = process.cpuUsage(c0);
  const ns = ((u.user + u.system) * 1000) / N;
  console.log(`${label.padEnd(34)} ${ns.toFixed(2)} ns/op  (${sink & 1})`);
}

// --- Int32Array halves ---
const lo = new Int32Array(32).map((_, i) => i * 0x9e3779b1);
const hi = new Int32Array(32).map((_, i) => i * 0x7f4a7c15);
let nf = 0;
let zf = 0;
let cf = 0;
let vf = 0;
time("halves: ADD x", () => {
  for (let i = 0; i < N; i++) {
    const a = i & 15;
    const b = (i + 5) & 15;
    const d = (i + 9) & 15;
    const l = (lo[a]! + lo[b]!) | 0;
    const c = ((lo[a]! & lo[b]!) | ((lo[a]! | lo[b]!) & ~l)) >>> 31;
    hi[d] = (hi[a]! + hi[b]! + c) | 0;
    lo[d] = l;
  }
  return lo[3]!;
});
time("halves: ADDS x (NZCV)", () => {
  for (let i = 0; i < N; i++) {
    const a = i & 15;
    const b = (i + 5) & 15;
    const d = (i + 9) & 15;
    const al = lo[a]!;
    const bl = lo[b]!;
    const ah = hi[a]!;
    const bh = hi[b]!;
    const l = (al + bl) | 0;
    const h = (ah + bh + (((al & bl) | ((al | bl) & ~l)) >>> 31)) | 0;
    nf = h >>> 31;
    zf = (l | h) === 0 ? 1 : 0;
    cf = ((ah & bh) | ((ah | bh) & ~h)) >>> 31;
    vf = ((ah ^ h) & (bh ^ h)) >>> 31;
    lo[d] = l;
    hi[d] = h;
  }
  return lo[3]! + nf + zf + cf + vf;
});
time("halves: LSR x, variable", () => {
  for (let i = 0; i < N; i++) {
    const a = i & 15;
    const d = (i + 9) & 15;
    const n = i & 63;
    if (n === 0) {
      lo[d] = lo[a]!;
      hi[d] = hi[a]!;
    } else if (n < 32) {
      lo[d] = (lo[a]! >>> n) | (hi[a]! << (32 - n));
      hi[d] = hi[a]! >>> n;
    } else {
      lo[d] = hi[a]! >>> (n - 32);
      hi[d] = 0;
    }
  }
  return lo[3]!;
});

// --- BigUint64Array ---
const X = new BigUint64Array(32).map((_, i) => BigInt(i) * 0x9e3779b97f4a7c15n);
const M64 = (1n << 64n) - 1n;
time("BigInt: ADD x", () => {
  for (let i = 0; i < N; i++) X[(i + 9) & 15] = X[i & 15]! + X[(i + 5) & 15]!;
  return Number(X[3]! & 1n);
});
time("BigInt: ADDS x (NZCV)", () => {
  for (let i = 0; i < N; i++) {
    const a = X[i & 15]!;
    const b = X[(i + 5) & 15]!;
    const s = a + b;
    const r = s & M64;
    nf = Number(r >> 63n);
    zf = r === 0n ? 1 : 0;
    cf = s > M64 ? 1 : 0;
    vf = Number((((a ^ r) & (b ^ r)) >> 63n) & 1n);
    X[(i + 9) & 15] = r;
  }
  return Number(X[3]! & 1n) + nf + zf + cf + vf;
});
time("BigInt: LSR x, variable", () => {
  for (let i = 0; i < N; i++) X[(i + 9) & 15] = X[i & 15]! >> BigInt(i & 63);
  return Number(X[3]! & 1n);
});

// --- Float64Array halves (unsigned 32-bit values in doubles) ---
const FL = new Float64Array(32).map((_, i) => (i * 0x9e3779b1) >>> 0);
const FH = new Float64Array(32).map((_, i) => (i * 0x7f4a7c15) >>> 0);
time("float64 halves: ADD x", () => {
  for (let i = 0; i < N; i++) {
    const a = i & 15;
    const b = (i + 5) & 15;
    const d = (i + 9) & 15;
    const s = FL[a]! + FL[b]!;
    const c = s >= 4294967296 ? 1 : 0;
    FL[d] = s - c * 4294967296;
    FH[d] = (FH[a]! + FH[b]! + c) % 4294967296;
  }
  return FL[3]!;
});
void performance;
