// Byte layouts declared once (style rule 8): a little-endian, packed struct schema from
// which the encoder, the decoder and the size check all come. Used for RM RPC payloads,
// the vCPU run structure, UAPI argument blocks and virtio structures.
//
//   const Req = layout({ vmid: u16, _0: reserved(2), handle: u32, size: u64 });
//   Req.decode(bytes) -> { vmid: number, handle: number, size: bigint } | undefined

import { invariant } from "./assert.js";

type FieldKind =
  | { readonly kind: "u8" | "u16" | "u32" | "s32"; readonly size: number }
  | { readonly kind: "u64"; readonly size: 8 }
  | { readonly kind: "bytes"; readonly size: number }
  | { readonly kind: "reserved"; readonly size: number };

export const u8 = { kind: "u8", size: 1 } as const;
export const u16 = { kind: "u16", size: 2 } as const;
export const u32 = { kind: "u32", size: 4 } as const;
export const s32 = { kind: "s32", size: 4 } as const;
export const u64 = { kind: "u64", size: 8 } as const;
/** Raw bytes, decoded as a copy. */
export const bytes = (size: number) => ({ kind: "bytes", size }) as const;
/** Padding that encodes as zero and must decode as zero (a non-zero byte rejects). */
export const reserved = (size: number) => ({ kind: "reserved", size }) as const;

type Fields = Record<string, FieldKind>;
type ValueOf<K extends FieldKind> = K extends { kind: "u64" }
  ? bigint
  : K extends { kind: "bytes" }
    ? Uint8Array
    : number;
type ReservedKeys<F extends Fields> = {
  [P in keyof F]: F[P] extends { kind: "reserved" } ? P : never;
}[keyof F];

export type LayoutValue<F extends Fields> = {
  -readonly [P in Exclude<keyof F, ReservedKeys<F>>]: ValueOf<F[P]>;
};

export interface Layout<F extends Fields> {
  readonly size: number;
  /** Byte offset of each field, for code that shares a buffer with another party. */
  readonly offsets: { readonly [P in keyof F]: number };
  encode(value: LayoutValue<F>): Uint8Array;
  encodeInto(value: LayoutValue<F>, view: DataView, offset: number): void;
  /** Decodes from `offset`; undefined if too short or a reserved byte is non-zero. */
  decode(data: Uint8Array, offset?: number): LayoutValue<F> | undefined;
  /** Decodes a message that must be exactly this layout's size. */
  decodeExact(data: Uint8Array): LayoutValue<F> | undefined;
}

export function layout<const F extends Fields>(fields: F): Layout<F> {
  const entries = Object.entries(fields);
  const offsets: Record<string, number> = {};
  let size = 0;
  for (const [name, field] of entries) {
    offsets[name] = size;
    size += field.size;
  }

  const encodeInto = (value: LayoutValue<F>, view: DataView, base: number): void => {
    const record = value as Record<string, unknown>;
    for (const [name, field] of entries) {
      const at = base + (offsets[name] ?? 0);
      writeField(view, at, name, field, record[name]);
    }
  };

  const decode = (data: Uint8Array, offset = 0): LayoutValue<F> | undefined => {
    if (offset < 0 || data.length - offset < size) return undefined;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out: Record<string, unknown> = {};
    for (const [name, field] of entries) {
      const at = offset + (offsets[name] ?? 0);
      if (field.kind === "reserved") {
        for (let i = 0; i < field.size; i++) if (data[at + i] !== 0) return undefined;
        continue;
      }
      out[name] = readField(view, data, at, field);
    }
    return out as LayoutValue<F>;
  };

  return {
    size,
    offsets: offsets as { [P in keyof F]: number },
    encodeInto,
    encode(value) {
      const out = new Uint8Array(size);
      encodeInto(value, new DataView(out.buffer), 0);
      return out;
    },
    decode,
    decodeExact(data) {
      return data.length === size ? decode(data, 0) : undefined;
    },
  };
}

// Encoding never truncates: a value that does not fit its field would alias another
// value on the wire (vCPU 2^32 -> vCPU 0, -1 -> 0xffffffff). Callers validate what a
// guest or user gave them first (returning an error), so a misfit here is a bug.
const INT_RANGES = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffff_ffff],
  s32: [-0x8000_0000, 0x7fff_ffff],
} as const;

function checkedInt(name: string, kind: keyof typeof INT_RANGES, value: unknown): number {
  const [min, max] = INT_RANGES[kind];
  invariant(
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max,
    `layout field ${name}: ${String(value)} is not a ${kind}`,
  );
  return value;
}

function writeField(
  view: DataView,
  at: number,
  name: string,
  field: FieldKind,
  value: unknown,
): void {
  switch (field.kind) {
    case "u8":
      view.setUint8(at, checkedInt(name, field.kind, value));
      return;
    case "u16":
      view.setUint16(at, checkedInt(name, field.kind, value), true);
      return;
    case "u32":
      view.setUint32(at, checkedInt(name, field.kind, value), true);
      return;
    case "s32":
      view.setInt32(at, checkedInt(name, field.kind, value), true);
      return;
    case "u64":
      invariant(
        typeof value === "bigint" && value >= 0n && value < 1n << 64n,
        `layout field ${name}: ${String(value)} is not a u64`,
      );
      view.setBigUint64(at, value, true);
      return;
    case "bytes": {
      invariant(
        value instanceof Uint8Array && value.length <= field.size,
        `layout field ${name}: not at most ${field.size} bytes`,
      );
      const dst = new Uint8Array(view.buffer, view.byteOffset + at, field.size);
      dst.fill(0);
      dst.set(value);
      return;
    }
    case "reserved":
      for (let i = 0; i < field.size; i++) view.setUint8(at + i, 0);
      return;
  }
}

function readField(view: DataView, data: Uint8Array, at: number, field: FieldKind): unknown {
  switch (field.kind) {
    case "u8":
      return view.getUint8(at);
    case "u16":
      return view.getUint16(at, true);
    case "u32":
      return view.getUint32(at, true);
    case "s32":
      return view.getInt32(at, true);
    case "u64":
      return view.getBigUint64(at, true);
    case "bytes":
      return data.slice(at, at + field.size);
    case "reserved":
      return undefined;
  }
}
