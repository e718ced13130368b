// Checked arithmetic for values a guest, an RPC peer or a user controls. Every such
// value goes through these helpers before it indexes anything (style rule 3).

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffff_ffff;

/** a + b for non-negative safe integers, or undefined if it leaves the safe range. */
export function checkedAdd(a: number, b: number): number | undefined {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) return undefined;
  const sum = a + b;
  return Number.isSafeInteger(sum) ? sum : undefined;
}

/** a + b as u64, or undefined on overflow. */
export function checkedAddU64(a: bigint, b: bigint): bigint | undefined {
  if (a < 0n || b < 0n) return undefined;
  const sum = a + b;
  return sum > U64_MAX ? undefined : sum;
}

/** a * b for non-negative safe integers, or undefined if it leaves the safe range. */
export function checkedMul(a: number, b: number): number | undefined {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) return undefined;
  const product = a * b;
  return Number.isSafeInteger(product) ? product : undefined;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && Number.isInteger(Math.log2(n));
}

/** True if `value` is a multiple of `alignment` (a power of two). */
export function isAligned(value: number | bigint, alignment: number): boolean {
  if (typeof value === "bigint") return value % BigInt(alignment) === 0n;
  return value % alignment === 0;
}

/** Rounds up to a multiple of `alignment`, or undefined on overflow. */
export function alignUp(value: number, alignment: number): number | undefined {
  const rem = value % alignment;
  return rem === 0 ? value : checkedAdd(value, alignment - rem);
}

export function alignDown(value: number, alignment: number): number {
  return value - (value % alignment);
}

/**
 * The exclusive end of [base, base + size), or undefined if size is 0 or the range
 * wraps or passes `limit` (default: the largest safe integer).
 */
export function rangeEnd(
  base: number,
  size: number,
  limit = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (size <= 0) return undefined;
  const end = checkedAdd(base, size);
  return end !== undefined && end <= limit ? end : undefined;
}

/** True if [a, a + aSize) and [b, b + bSize) share a byte. Sizes must be positive. */
export function rangesOverlap(a: number, aSize: number, b: number, bSize: number): boolean {
  return a < b + bSize && b < a + aSize;
}

/** Converts a u64 to a number if it is a safe integer (addresses, sizes), else undefined. */
export function u64ToSafe(value: bigint): number | undefined {
  return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}
