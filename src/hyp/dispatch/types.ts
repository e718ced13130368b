// The shape of a hypercall handler table: per call number, which inputs are reserved
// (res0 must be 0, res1 all ones, else ARGUMENT_INVALID) and the handler itself.

import { HypError } from "../abi/errors.js";
import { err, type Result } from "../../lib/result.js";
import type { CallerContext } from "../context.js";
import type { Kernel } from "../kernel.js";
import type { HypObject, ObjectType } from "../object.js";

/** X0 (an error code) and up to three results. */
export type HandlerOut = readonly [number, ...bigint[]];

export interface HandlerSpec {
  /** Indices into the arguments (0 = X1) that must be zero. */
  readonly res0?: readonly number[];
  /** Indices that must be all ones. */
  readonly res1?: readonly number[];
  readonly fn: (k: Kernel, c: CallerContext, a: readonly bigint[]) => HandlerOut;
}

export type HandlerTable = Readonly<Record<number, HandlerSpec>>;

/** Looks a cap up in the caller's cspace (none attached: CAP_NULL). */
export function lookup<T extends HypObject>(
  c: CallerContext,
  id: bigint,
  type: ObjectType,
  rights: number,
  activeOnly = true,
): Result<T, number> {
  if (!c.cspace) return err(HypError.CSPACE_CAP_NULL);
  return c.cspace.lookup<T>(id, type, rights, activeOnly);
}

export function fail(code: number): HandlerOut {
  return [code];
}

export function done(code: number, ...values: bigint[]): HandlerOut {
  return [code, ...values];
}

/** A bool output register. */
export function bool(b: boolean): bigint {
  return b ? 1n : 0n;
}
