// The local exclusive monitor (Arm ARM B2.9.1): whether it is armed, the address and
// size the last load-exclusive marked, and the value(s) it read. vCPUs are interleaved
// in slices, so a store-exclusive also requires memory to still hold that value
// (exec/atomic.ts, as QEMU's cmpxchg-based monitor). With the JIT tier the state is a
// view of the CPU block (jit/gen.ts CB_EXCL), where compiled LDXR/STXR use it too
// (jit/emit-atomic.ts): i32 slots valid, size, address lo/hi, value lo/hi, value 2 lo/hi.

/** i32 slots of the monitor's storage (gen.ts EXCL_* are their byte offsets). */
const VALID = 0;
const SIZE = 1;
const LO = 2;
const HI = 3;
const VAL_LO = 4;
const VAL_HI = 5;
const VAL_LO2 = 6;
const VAL_HI2 = 7;
export const MONITOR_SLOTS = 8;

export class ExclusiveMonitor {
  constructor(private readonly s: Int32Array = new Int32Array(MONITOR_SLOTS)) {}

  /** Arms the monitor for `bytes` at (lo, hi) having read value (vlo, vhi, vlo2, vhi2). */
  mark(
    lo: number,
    hi: number,
    bytes: number,
    vlo: number,
    vhi: number,
    vlo2: number,
    vhi2: number,
  ): void {
    const s = this.s;
    s[VALID] = 1;
    s[SIZE] = bytes;
    s[LO] = lo;
    s[HI] = hi;
    s[VAL_LO] = vlo;
    s[VAL_HI] = vhi;
    s[VAL_LO2] = vlo2;
    s[VAL_HI2] = vhi2;
  }

  /** ClearExclusiveLocal: CLREX, a store-exclusive, exception entry and return. */
  clear(): void {
    this.s[VALID] = 0;
  }

  /** Armed for exactly this address and size. */
  covers(lo: number, hi: number, bytes: number): boolean {
    const s = this.s;
    return s[VALID] !== 0 && s[LO] === lo && s[HI] === hi && s[SIZE] === bytes;
  }

  get valid(): boolean {
    return this.s[VALID] !== 0;
  }
  get valLo(): number {
    return this.s[VAL_LO]!;
  }
  get valHi(): number {
    return this.s[VAL_HI]!;
  }
  get valLo2(): number {
    return this.s[VAL_LO2]!;
  }
  get valHi2(): number {
    return this.s[VAL_HI2]!;
  }

  reset(): void {
    this.s.fill(0);
  }
}
