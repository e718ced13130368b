// Walking one descriptor chain of a split virtqueue (virtio 1.2 section 2.7.5 and
// 2.7.5.3) into a list of checked guest-physical segments. Every descriptor is read
// once into a local copy (a guest changing it afterwards changes nothing we use), and
// every rule a hostile guest could break is checked here, in one place.

import { err, ok, type Result } from "../../lib/result.js";
import { layout, u16, u32, u64 } from "../../lib/layout.js";
import { checkedAdd, checkedMul, rangeEnd, rangesOverlap, u64ToSafe } from "../../lib/checked.js";
import { U32_MAX } from "../../lib/checked.js";
import type { GuestRam } from "../guest-ram.js";
import { DescFlag } from "./constants.js";

/** struct virtq_desc (2.7.5). */
export const Descriptor = layout({ addr: u64, len: u32, flags: u16, next: u16 });
export const DESC_SIZE = Descriptor.size;

/** A checked piece of a chain: guest-physical, inside RAM, not over a ring. */
export interface Segment {
  readonly gpa: number;
  readonly length: number;
}

/** A parsed chain: device-readable segments first, then device-writable (2.7.4.2). */
export interface Chain {
  readonly head: number;
  readonly readable: readonly Segment[];
  readonly writable: readonly Segment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

export type ChainError =
  | "too-long"
  | "next-out-of-range"
  | "zero-length"
  | "outside-ram"
  | "over-ring"
  | "total-too-large"
  | "readable-after-writable"
  | "indirect-not-negotiated"
  | "indirect-nested"
  | "indirect-with-next"
  | "indirect-bad-length"
  | "indirect-not-at-head"
  | "unreadable";

/** What the walk needs to know about the queue and the device. */
export interface ChainContext {
  readonly ram: GuestRam;
  /** Queue size: the bound on `next` and on the descriptors one chain may visit. */
  readonly size: number;
  readonly descTable: number;
  readonly indirect: boolean;
  /** Ring areas no buffer may overlap ([gpa, length] pairs of every live queue). */
  readonly rings: readonly Segment[];
}

interface WalkState {
  readonly readable: Segment[];
  readonly writable: Segment[];
  total: number;
  /** Descriptors visited so far, direct and indirect together (no reset per table). */
  visited: number;
}

type Desc = NonNullable<ReturnType<typeof Descriptor.decode>>;

/** Reads `count` descriptors at `gpa` in one access: the local copy we work from. */
function readTable(ram: GuestRam, gpa: number, count: number): Result<Desc[], ChainError> {
  const bytes = checkedMul(count, DESC_SIZE);
  if (bytes === undefined) return err("outside-ram");
  const raw = ram.read(gpa, bytes);
  if (!raw.ok) return err(raw.error.kind === "out-of-range" ? "outside-ram" : "unreadable");
  const out: Desc[] = [];
  for (let i = 0; i < count; i++) {
    const d = Descriptor.decode(raw.value, i * DESC_SIZE);
    if (d === undefined) return err("unreadable");
    out.push(d);
  }
  return ok(out);
}

/** Checks one buffer descriptor and appends its segment. */
function addBuffer(ctx: ChainContext, st: WalkState, d: Desc): ChainError | undefined {
  if (d.len === 0) return "zero-length";
  const gpa = u64ToSafe(d.addr);
  const end = gpa === undefined ? undefined : rangeEnd(gpa, d.len);
  if (gpa === undefined || end === undefined) return "outside-ram";
  if (gpa < ctx.ram.base || end > ctx.ram.base + ctx.ram.size) return "outside-ram";
  if (ctx.rings.some((r) => rangesOverlap(gpa, d.len, r.gpa, r.length))) return "over-ring";
  const total = checkedAdd(st.total, d.len);
  if (total === undefined || total > U32_MAX) return "total-too-large";
  st.total = total;
  const writable = (d.flags & DescFlag.WRITE) !== 0;
  if (!writable && st.writable.length > 0) return "readable-after-writable";
  (writable ? st.writable : st.readable).push({ gpa, length: d.len });
  return undefined;
}

/** Follows `next` links through `table` from `first` (a direct or an indirect table). */
function walk(
  ctx: ChainContext,
  st: WalkState,
  table: (i: number) => Result<Desc, ChainError>,
  entries: number,
  first: number,
  inIndirect: boolean,
): ChainError | undefined {
  let index = first;
  for (;;) {
    // One counter for the whole chain, indirect entries included: a loop anywhere
    // ends after `size` descriptors (v86 reset it per table and could be hung).
    if (++st.visited > ctx.size) return "too-long";
    const d = table(index);
    if (!d.ok) return d.error;
    const desc = d.value;
    if ((desc.flags & DescFlag.INDIRECT) !== 0) {
      if (inIndirect) return "indirect-nested";
      if (!ctx.indirect) return "indirect-not-negotiated";
      if ((desc.flags & DescFlag.NEXT) !== 0) return "indirect-with-next";
      if (st.visited !== 1) return "indirect-not-at-head";
      return walkIndirect(ctx, st, desc);
    }
    const e = addBuffer(ctx, st, desc);
    if (e !== undefined) return e;
    if ((desc.flags & DescFlag.NEXT) === 0) return undefined;
    if (desc.next >= entries) return "next-out-of-range";
    index = desc.next;
  }
}

/** An indirect table (2.7.5.3): read whole, once; its entries count toward the bound. */
function walkIndirect(ctx: ChainContext, st: WalkState, desc: Desc): ChainError | undefined {
  if (desc.len === 0 || desc.len % DESC_SIZE !== 0) return "indirect-bad-length";
  const entries = desc.len / DESC_SIZE;
  if (entries > ctx.size) return "too-long";
  const gpa = u64ToSafe(desc.addr);
  const end = gpa === undefined ? undefined : rangeEnd(gpa, desc.len);
  if (gpa === undefined || end === undefined) return "outside-ram";
  if (gpa < ctx.ram.base || end > ctx.ram.base + ctx.ram.size) return "outside-ram";
  const table = readTable(ctx.ram, gpa, entries);
  if (!table.ok) return table.error;
  const at = (i: number): Result<Desc, ChainError> => {
    const d = table.value[i];
    return d === undefined ? err("next-out-of-range") : ok(d);
  };
  return walk(ctx, st, at, entries, 0, true);
}

/** Parses the chain starting at `head` (already checked < size). */
export function parseChain(ctx: ChainContext, head: number): Result<Chain, ChainError> {
  const st: WalkState = { readable: [], writable: [], total: 0, visited: 0 };
  const direct = (i: number): Result<Desc, ChainError> => {
    const t = readTable(ctx.ram, ctx.descTable + i * DESC_SIZE, 1);
    if (!t.ok) return t;
    const d = t.value[0];
    return d === undefined ? err("unreadable") : ok(d);
  };
  const e = walk(ctx, st, direct, ctx.size, head, false);
  if (e !== undefined) return err(e);
  const sum = (s: readonly Segment[]) => s.reduce((n, x) => n + x.length, 0);
  return ok({
    head,
    readable: st.readable,
    writable: st.writable,
    readableBytes: sum(st.readable),
    writableBytes: sum(st.writable),
  });
}
