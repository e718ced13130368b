// Variable-length lists in RM payloads: {u16 count, u16 second, entries} (section 3).
// `second` is padding (must be 0) except in MEM_ACCEPT's SGL list, where it is map_vmid.

import type { Layout, LayoutValue } from "../../lib/layout.js";
import { err, ok, type Result } from "../../lib/result.js";
import { RmError } from "./errors.js";
import { MAX_LIST_ENTRIES } from "./payloads.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLayout = Layout<any>;
type Entry<L> = L extends Layout<infer F> ? LayoutValue<F> : never;

export interface DecodedList<T> {
  readonly entries: T[];
  readonly second: number;
  /** Offset just past the list. */
  readonly next: number;
}

export interface ListOptions {
  /** Maximum entries (default 512); more is ARGUMENT_INVALID. */
  readonly max?: number;
  /** The second u16 is a value rather than must-be-zero padding. */
  readonly secondIsValue?: boolean;
}

/**
 * Decodes a list at `offset`. A list running past the end, or non-zero padding, is
 * MSG_INVALID; a count above the maximum is ARGUMENT_INVALID.
 */
export function decodeList<L extends AnyLayout>(
  entry: L,
  data: Uint8Array,
  offset: number,
  options: ListOptions = {},
): Result<DecodedList<Entry<L>>, RmError> {
  if (offset < 0 || offset + 4 > data.length) return err(RmError.MSG_INVALID);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint16(offset, true);
  const second = view.getUint16(offset + 2, true);
  if (!options.secondIsValue && second !== 0) return err(RmError.MSG_INVALID);
  if (count > (options.max ?? MAX_LIST_ENTRIES)) return err(RmError.ARGUMENT_INVALID);
  const start = offset + 4;
  const end = start + count * entry.size;
  if (end > data.length) return err(RmError.MSG_INVALID);
  const entries: Entry<L>[] = [];
  for (let at = start; at < end; at += entry.size) {
    const value = entry.decode(data, at);
    if (value === undefined) return err(RmError.MSG_INVALID);
    entries.push(value as Entry<L>);
  }
  return ok({ entries, second, next: end });
}

/** Encodes {u16 count, u16 second, entries}. */
export function encodeList<L extends AnyLayout>(
  entry: L,
  entries: readonly Entry<L>[],
  second = 0,
): Uint8Array {
  const out = new Uint8Array(4 + entries.length * entry.size);
  const view = new DataView(out.buffer);
  view.setUint16(0, entries.length, true);
  view.setUint16(2, second, true);
  entries.forEach((e, i) => entry.encodeInto(e, view, 4 + i * entry.size));
  return out;
}

/** Concatenates payload parts. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
