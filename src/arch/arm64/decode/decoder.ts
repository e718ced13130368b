// The decoder, generated at start-up from the bit-pattern rows (integer + SIMD). A
// 4096-entry bucket index on instruction bits [29:22]:[13:10] (the split dynarmic and
// Ryujinx use) narrows each lookup to the few rows compatible with those bits; each
// bucket is scanned most-specific row first. No match = UNDEFINED (op 0).

import { InvariantError } from "../../../lib/assert.js";
import type { DecodeRow } from "./row.js";

export interface CompiledRow {
  readonly name: string;
  readonly mask: number;
  readonly value: number;
  readonly op: number;
}

export function compileRow(row: DecodeRow): CompiledRow {
  const bits = row.pattern.replace(/[ _]/g, "");
  if (!/^[01x]{32}$/.test(bits)) throw new InvariantError(`bad decode pattern for ${row.name}`);
  let mask = 0;
  let value = 0;
  for (let i = 0; i < 32; i++) {
    const c = bits[i];
    const bit = 31 - i;
    if (c !== "x") {
      mask |= 1 << bit;
      if (c === "1") value |= 1 << bit;
    }
  }
  return { name: row.name, mask: mask | 0, value: value | 0, op: row.op };
}

/** Bucket number of an instruction word: bits [29:22] then [13:10]. */
export function bucketOf(insn: number): number {
  return (((insn >>> 22) & 0xff) << 4) | ((insn >>> 10) & 0xf);
}

const BUCKET_MASK = (0xff << 22) | (0xf << 10);

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
  return n;
}

export class Decoder {
  private readonly start = new Int32Array(4097);
  private readonly masks: Int32Array;
  private readonly values: Int32Array;
  private readonly ops: Int32Array;
  readonly rows: readonly CompiledRow[];

  constructor(rows: readonly DecodeRow[]) {
    const compiled = rows.map(compileRow);
    // Most specific first: a row with more fixed bits carves an exception out of a
    // broader one (LDPSW out of LDP); stable for equal counts.
    const ordered = compiled
      .map((r, i) => ({ r, i, n: popcount(r.mask) }))
      .sort((a, b) => b.n - a.n || a.i - b.i)
      .map((e) => e.r);
    this.rows = ordered;
    const perBucket: CompiledRow[][] = [];
    for (let b = 0; b < 4096; b++) {
      const bucketBits = (((b >>> 4) & 0xff) << 22) | ((b & 0xf) << 10);
      perBucket.push(ordered.filter((r) => ((bucketBits ^ r.value) & r.mask & BUCKET_MASK) === 0));
    }
    const total = perBucket.reduce((n, l) => n + l.length, 0);
    this.masks = new Int32Array(total);
    this.values = new Int32Array(total);
    this.ops = new Int32Array(total);
    let k = 0;
    for (let b = 0; b < 4096; b++) {
      this.start[b] = k;
      for (const r of perBucket[b]!) {
        this.masks[k] = r.mask;
        this.values[k] = r.value;
        this.ops[k] = r.op;
        k++;
      }
    }
    this.start[4096] = k;
  }

  decode(insn: number): number {
    const b = (((insn >>> 22) & 0xff) << 4) | ((insn >>> 10) & 0xf);
    const end = this.start[b + 1]!;
    for (let k = this.start[b]!; k < end; k++) {
      if ((insn & this.masks[k]!) === this.values[k]) return this.ops[k]!;
    }
    return 0;
  }

  /** The row an instruction decodes to (for traces and tests). */
  rowOf(insn: number): CompiledRow | undefined {
    return this.rows.find((r) => (insn & r.mask) === r.value);
  }

  /** Longest bucket scan, for the README's figures. */
  maxBucketLength(): number {
    let m = 0;
    for (let b = 0; b < 4096; b++) m = Math.max(m, this.start[b + 1]! - this.start[b]!);
    return m;
  }
}
