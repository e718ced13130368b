// Checks for numbers a VMM passes through the host UAPI. In Linux these arrive as C
// integers of a fixed width; here they are JS numbers or bigints, so a value that is
// not an integer, is negative or does not fit its field must be refused with EINVAL
// (hardening.md: clear error per user input) before it reaches a byte layout, which
// would otherwise alias it (vCPU 2^32 -> vCPU 0, 0.5 -> 0, -1 -> 0xffffffff).

import { ok } from "../../lib/result.js";
import { fail, type HostResult } from "../errors.js";

const U32_LIMIT = 1n << 32n;
const U64_LIMIT = 1n << 64n;

function describe(value: unknown): string {
  return typeof value === "bigint" ? `${value}n` : String(value);
}

/** `value` as a bigint if it is an integer (number or bigint) in [0, limit). */
function unsignedBelow(value: unknown, limit: bigint): bigint | undefined {
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
  else return undefined;
  return v >= 0n && v < limit ? v : undefined;
}

/** A u32 UAPI field: an integer in [0, 2^32), as a number. */
export function u32Arg(name: string, value: unknown): HostResult<number> {
  const v = unsignedBelow(value, U32_LIMIT);
  if (v === undefined) return fail("EINVAL", `${name} ${describe(value)} is not a u32`);
  return ok(Number(v));
}

/** A u64 UAPI field: an integer in [0, 2^64), as a bigint. */
export function u64Arg(name: string, value: unknown): HostResult<bigint> {
  const v = unsignedBelow(value, U64_LIMIT);
  if (v === undefined) return fail("EINVAL", `${name} ${describe(value)} is not a u64`);
  return ok(v);
}

/** An s32 UAPI field (a file descriptor): an integer in [-2^31, 2^31), as a number. */
export function s32Arg(name: string, value: unknown): HostResult<number> {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < -(2 ** 31) ||
    value >= 2 ** 31
  )
    return fail("EINVAL", `${name} ${describe(value)} is not an s32`);
  return ok(value);
}
