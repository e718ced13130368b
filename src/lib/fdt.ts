// Flattened device tree (devicetree specification v0.4, chapter 5 "Flattened
// Devicetree (DTB) Format"): a parser that treats its input as hostile (the RM parses
// a DTB a VMM wrote into guest memory), an in-memory tree to build or edit, and a
// serializer. Used by the RM (VM configuration, the generated /hypervisor node) and
// by the VMM (the guest's device tree).

import { err, ok, type Result } from "./result.js";
import { checkedAdd } from "./checked.js";
import { invariant } from "./assert.js";

export const FDT_MAGIC = 0xd00dfeed;
/** Version we write; we read any version >= 16 whose last compatible version is <= 17. */
export const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;
const HEADER_SIZE = 40;

const Token = { BEGIN_NODE: 1, END_NODE: 2, PROP: 3, NOP: 4, END: 9 } as const;

/** Limits that keep a hostile blob from costing more than a bounded amount of work. */
export interface FdtLimits {
  readonly maxSize: number;
  readonly maxDepth: number;
  readonly maxNodes: number;
  readonly maxProps: number;
}

export const DEFAULT_FDT_LIMITS: FdtLimits = {
  maxSize: 2 * 1024 * 1024,
  maxDepth: 32,
  maxNodes: 16_384,
  maxProps: 65_536,
};

export interface MemReserve {
  readonly address: bigint;
  readonly size: bigint;
}

/** A node: its name ("" for the root, "name@unit" otherwise), properties and children. */
export class FdtNode {
  readonly props = new Map<string, Uint8Array>();
  readonly children: FdtNode[] = [];

  constructor(readonly name: string) {}

  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Returns the named child, creating it if absent. */
  addChild(name: string): FdtNode {
    const existing = this.child(name);
    if (existing) return existing;
    const node = new FdtNode(name);
    this.children.push(node);
    return node;
  }

  removeChild(name: string): boolean {
    const i = this.children.findIndex((c) => c.name === name);
    if (i < 0) return false;
    this.children.splice(i, 1);
    return true;
  }

  /** Looks up a path relative to this node ("a/b@1"; a leading "/" is ignored). */
  find(path: string): FdtNode | undefined {
    const parts = path.split("/").filter((p) => p !== "");
    return parts.reduce<FdtNode | undefined>((node, part) => node?.child(part), this);
  }

  has(name: string): boolean {
    return this.props.has(name);
  }

  setBytes(name: string, value: Uint8Array): this {
    this.props.set(name, value.slice());
    return this;
  }

  setEmpty(name: string): this {
    return this.setBytes(name, new Uint8Array(0));
  }

  /** One or more big-endian u32 cells. */
  setU32(name: string, ...cells: number[]): this {
    const out = new Uint8Array(cells.length * 4);
    const view = new DataView(out.buffer);
    cells.forEach((c, i) => view.setUint32(i * 4, c >>> 0));
    this.props.set(name, out);
    return this;
  }

  /** One or more big-endian u64 values (two cells each). */
  setU64(name: string, ...values: bigint[]): this {
    const out = new Uint8Array(values.length * 8);
    const view = new DataView(out.buffer);
    values.forEach((v, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, v)));
    this.props.set(name, out);
    return this;
  }

  setString(name: string, value: string): this {
    return this.setStrings(name, value);
  }

  /** A string list: each string NUL-terminated. */
  setStrings(name: string, ...values: string[]): this {
    const encoded = values.map((v) => new TextEncoder().encode(`${v}\0`));
    const out = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
    let at = 0;
    for (const e of encoded) {
      out.set(e, at);
      at += e.length;
    }
    this.props.set(name, out);
    return this;
  }

  getBytes(name: string): Uint8Array | undefined {
    return this.props.get(name);
  }

  /** All cells of a property, or undefined if absent or not a multiple of 4 bytes. */
  getU32Array(name: string): number[] | undefined {
    const value = this.props.get(name);
    if (!value || value.length % 4 !== 0) return undefined;
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const out: number[] = [];
    for (let i = 0; i < value.length; i += 4) out.push(view.getUint32(i));
    return out;
  }

  /** A property that is exactly one cell. */
  getU32(name: string): number | undefined {
    const cells = this.getU32Array(name);
    return cells?.length === 1 ? cells[0] : undefined;
  }

  /** A property of one or two cells read as a number (a u64 must be exactly 8 bytes). */
  getU64(name: string): bigint | undefined {
    const value = this.props.get(name);
    if (!value) return undefined;
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    if (value.length === 4) return BigInt(view.getUint32(0));
    if (value.length === 8) return view.getBigUint64(0);
    return undefined;
  }

  /** The strings of a string-list property; undefined unless every string is terminated. */
  getStrings(name: string): string[] | undefined {
    const value = this.props.get(name);
    if (!value || value.length === 0 || value[value.length - 1] !== 0) return undefined;
    const text = new TextDecoder("utf-8", { fatal: false }).decode(value.subarray(0, -1));
    return text.split("\0");
  }

  getString(name: string): string | undefined {
    return this.getStrings(name)?.[0];
  }

  /**
   * Reads `name` as (address, size) pairs with the given cell counts (1 or 2 each),
   * e.g. a "reg" property. Undefined if the length does not divide evenly.
   */
  getRegs(name: string, addressCells: number, sizeCells: number): Reg[] | undefined {
    const cells = this.getU32Array(name);
    const stride = addressCells + sizeCells;
    if (!cells || stride === 0 || cells.length % stride !== 0) return undefined;
    if (addressCells > 2 || sizeCells > 2) return undefined;
    const out: Reg[] = [];
    for (let i = 0; i < cells.length; i += stride) {
      out.push({
        address: joinCells(cells.slice(i, i + addressCells)),
        size: joinCells(cells.slice(i + addressCells, i + stride)),
      });
    }
    return out;
  }
}

export interface Reg {
  readonly address: bigint;
  readonly size: bigint;
}

function joinCells(cells: number[]): bigint {
  return cells.reduce((acc, c) => (acc << 32n) | BigInt(c >>> 0), 0n);
}

/** Splits a u64 into cells for a property of `count` cells (1 or 2). */
export function toCells(value: bigint, count: number): number[] {
  if (count === 1) return [Number(BigInt.asUintN(32, value))];
  return [Number(BigInt.asUintN(32, value >> 32n)), Number(BigInt.asUintN(32, value))];
}

export interface Fdt {
  readonly root: FdtNode;
  bootCpuId: number;
  readonly memReserve: MemReserve[];
}

export function createFdt(): Fdt {
  return { root: new FdtNode(""), bootCpuId: 0, memReserve: [] };
}

/** Why a blob was refused, with the byte offset where parsing stopped when known. */
export interface FdtError {
  readonly reason: string;
  readonly offset?: number;
}

const fail = (reason: string, offset?: number): Result<never, FdtError> =>
  err(offset === undefined ? { reason } : { reason, offset });

interface Header {
  totalSize: number;
  offStruct: number;
  offStrings: number;
  offMemRsv: number;
  bootCpuId: number;
  sizeStrings: number;
  sizeStruct: number;
}

function readHeader(data: Uint8Array, limits: FdtLimits): Result<Header, FdtError> {
  if (data.length < HEADER_SIZE) return fail("shorter than the header");
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (v.getUint32(0) !== FDT_MAGIC) return fail("bad magic", 0);
  const h: Header = {
    totalSize: v.getUint32(4),
    offStruct: v.getUint32(8),
    offStrings: v.getUint32(12),
    offMemRsv: v.getUint32(16),
    bootCpuId: v.getUint32(28),
    sizeStrings: v.getUint32(32),
    sizeStruct: v.getUint32(36),
  };
  const version = v.getUint32(20);
  const lastComp = v.getUint32(24);
  if (version < 16 || lastComp > FDT_VERSION) return fail("unsupported version", 20);
  if (h.totalSize < HEADER_SIZE || h.totalSize > data.length) return fail("bad totalsize", 4);
  if (h.totalSize > limits.maxSize) return fail("blob larger than the limit", 4);
  // Version 16 headers have no size_dt_struct (it came with 17): the block may run
  // to the end of the blob, and the END token bounds it.
  if (version < 17) h.sizeStruct = h.offStruct <= h.totalSize ? h.totalSize - h.offStruct : 0;
  const structEnd = checkedAdd(h.offStruct, h.sizeStruct);
  const stringsEnd = checkedAdd(h.offStrings, h.sizeStrings);
  if (structEnd === undefined || structEnd > h.totalSize || h.offStruct < HEADER_SIZE)
    return fail("structure block out of range", 8);
  if (stringsEnd === undefined || stringsEnd > h.totalSize || h.offStrings < HEADER_SIZE)
    return fail("strings block out of range", 12);
  if (h.offStruct % 4 !== 0 || h.offMemRsv % 8 !== 0) return fail("misaligned block", 8);
  if (h.offMemRsv < HEADER_SIZE || h.offMemRsv >= h.totalSize)
    return fail("memory reservation block out of range", 16);
  return ok(h);
}

function readMemReserve(
  data: Uint8Array,
  h: Header,
  limits: FdtLimits,
): Result<MemReserve[], FdtError> {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: MemReserve[] = [];
  for (let at = h.offMemRsv; ; at += 16) {
    if (at + 16 > h.totalSize) return fail("unterminated memory reservation block", at);
    const address = v.getBigUint64(at);
    const size = v.getBigUint64(at + 8);
    if (address === 0n && size === 0n) return ok(out);
    if (out.length >= limits.maxNodes) return fail("too many memory reservations", at);
    out.push({ address, size });
  }
}

/** Parses a DTB. Every offset, length and string is checked; nothing is trusted. */
export function parseFdt(
  data: Uint8Array,
  limits: FdtLimits = DEFAULT_FDT_LIMITS,
): Result<Fdt, FdtError> {
  const header = readHeader(data, limits);
  if (!header.ok) return header;
  const h = header.value;
  const reserves = readMemReserve(data, h, limits);
  if (!reserves.ok) return reserves;
  const root = parseStructure(data, h, limits);
  if (!root.ok) return root;
  return ok({ root: root.value, bootCpuId: h.bootCpuId, memReserve: reserves.value });
}

// Devicetree spec v0.4 section 2.2.1 (Table 2.1): a node name is node-name[@unit-address],
// both parts from letters, digits and ",._+-". Section 2.2.4 (Table 2.2): a property
// name uses letters, digits and ",._+?#-". Holding both sides to these ASCII sets means
// a name's byte length equals its string length, and no name is ever rewritten (a
// decoder would turn bytes it cannot decode into U+FFFD) or read differently by
// another parser.
const NODE_NAME_PART = /^[0-9A-Za-z,._+-]+$/;
const PROPERTY_NAME = /^[0-9A-Za-z,._+?#-]+$/;

/** True if `name` is a valid node name (node-name with at most one "@unit-address"). */
export function isValidNodeName(name: string): boolean {
  const parts = name.split("@");
  return parts.length <= 2 && parts.every((p) => NODE_NAME_PART.test(p));
}

/** True if `name` is a valid property name. */
export function isValidPropertyName(name: string): boolean {
  return PROPERTY_NAME.test(name);
}

/**
 * The NUL-terminated string at `start` (it must end before `end`), with its length in
 * bytes without the NUL: callers advance by bytes, never by decoded characters.
 */
function readCString(
  data: Uint8Array,
  start: number,
  end: number,
): { readonly text: string; readonly byteLength: number } | undefined {
  const nul = data.indexOf(0, start);
  if (nul < 0 || nul >= end) return undefined;
  const raw = data.subarray(start, nul);
  // latin1 maps each byte to one code unit, so the validity checks see every byte as it
  // is (a byte >= 0x80 is a character outside both sets, never a decoded substitute).
  let text = "";
  for (const b of raw) text += String.fromCharCode(b);
  return { text, byteLength: raw.length };
}

function parseStructure(data: Uint8Array, h: Header, limits: FdtLimits): Result<FdtNode, FdtError> {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = h.offStruct + h.sizeStruct;
  const stringsEnd = h.offStrings + h.sizeStrings;
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  let nodes = 0;
  let props = 0;
  let at = h.offStruct;
  while (at + 4 <= end) {
    const token = v.getUint32(at);
    const tokenAt = at;
    at += 4;
    switch (token) {
      case Token.BEGIN_NODE: {
        if (root && stack.length === 0) return fail("second root node", tokenAt);
        const raw = readCString(data, at, end);
        if (raw === undefined) return fail("unterminated node name", at);
        const name = raw.text;
        const isRoot = root === undefined;
        // The root's name is empty by spec (5.4.1); any other node needs a valid name.
        if (!(isRoot && name === "") && !isValidNodeName(name))
          return fail("node name has a character outside the devicetree set", at);
        at = (at + raw.byteLength + 1 + 3) & ~3;
        if (++nodes > limits.maxNodes) return fail("too many nodes", tokenAt);
        if (stack.length >= limits.maxDepth) return fail("nesting too deep", tokenAt);
        const parent = stack[stack.length - 1];
        if (parent && (name === "" || parent.child(name)))
          return fail("empty or duplicate node name", tokenAt);
        const node = new FdtNode(parent ? name : "");
        if (parent) parent.children.push(node);
        else root = node;
        stack.push(node);
        break;
      }
      case Token.END_NODE:
        if (stack.pop() === undefined) return fail("unbalanced end of node", tokenAt);
        break;
      case Token.PROP: {
        const node = stack[stack.length - 1];
        if (!node || at + 8 > end) return fail("property outside a node", tokenAt);
        const len = v.getUint32(at);
        const nameOff = v.getUint32(at + 4);
        at += 8;
        const valueEnd = checkedAdd(at, len);
        if (valueEnd === undefined || valueEnd > end) return fail("property overruns", tokenAt);
        const nameAt = checkedAdd(h.offStrings, nameOff);
        const name =
          nameAt === undefined || nameAt >= stringsEnd
            ? undefined
            : readCString(data, nameAt, stringsEnd)?.text;
        if (name === undefined || name === "") return fail("bad property name", tokenAt);
        if (!isValidPropertyName(name))
          return fail("property name has a character outside the devicetree set", tokenAt);
        if (node.props.has(name)) return fail("duplicate property", tokenAt);
        if (++props > limits.maxProps) return fail("too many properties", tokenAt);
        node.props.set(name, data.slice(at, valueEnd));
        at = (valueEnd + 3) & ~3;
        break;
      }
      case Token.NOP:
        break;
      case Token.END:
        if (!root || stack.length !== 0) return fail("end inside a node", tokenAt);
        return ok(root);
      default:
        return fail(`unknown token ${token}`, tokenAt);
    }
  }
  return fail("structure block has no end token", at);
}

/** Writes a DTB (version 17) with its blocks in the usual order. */
export function serializeFdt(fdt: Fdt): Uint8Array {
  const strings = new StringTable();
  const struct: number[] = [];
  const pushU32 = (n: number) => struct.push(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const pushBytes = (b: Uint8Array) => {
    for (const x of b) struct.push(x);
    while (struct.length % 4 !== 0) struct.push(0);
  };
  const emit = (node: FdtNode, isRoot: boolean) => {
    // Names come from our own code (RM, VMM), never straight from a guest: one outside
    // the devicetree character sets (spec 2.2.1, 2.2.4) is a bug in the builder.
    invariant(
      (isRoot && node.name === "") || isValidNodeName(node.name),
      `FDT node name ${JSON.stringify(node.name)} is not a valid devicetree node name`,
    );
    pushU32(Token.BEGIN_NODE);
    pushBytes(new TextEncoder().encode(`${node.name}\0`));
    for (const [name, value] of node.props) {
      invariant(
        isValidPropertyName(name),
        `FDT property name ${JSON.stringify(name)} is not a valid devicetree property name`,
      );
      pushU32(Token.PROP);
      pushU32(value.length);
      pushU32(strings.offsetOf(name));
      pushBytes(value);
    }
    for (const c of node.children) emit(c, false);
    pushU32(Token.END_NODE);
  };
  emit(fdt.root, true);
  pushU32(Token.END);

  const offMemRsv = HEADER_SIZE; // already 8-aligned
  const memRsvSize = (fdt.memReserve.length + 1) * 16;
  const offStruct = offMemRsv + memRsvSize;
  const offStrings = offStruct + struct.length;
  const stringBytes = strings.bytes();
  const totalSize = offStrings + stringBytes.length;

  const out = new Uint8Array(totalSize);
  const v = new DataView(out.buffer);
  const header = [
    FDT_MAGIC,
    totalSize,
    offStruct,
    offStrings,
    offMemRsv,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    fdt.bootCpuId,
    stringBytes.length,
    struct.length,
  ];
  header.forEach((word, i) => v.setUint32(i * 4, word >>> 0));
  fdt.memReserve.forEach((r, i) => {
    v.setBigUint64(offMemRsv + i * 16, r.address);
    v.setBigUint64(offMemRsv + i * 16 + 8, r.size);
  });
  out.set(struct, offStruct);
  out.set(stringBytes, offStrings);
  return out;
}

class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  offsetOf(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const encoded = new TextEncoder().encode(`${name}\0`);
    const at = this.size;
    this.offsets.set(name, at);
    this.parts.push(encoded);
    this.size += encoded.length;
    return at;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** The largest phandle used anywhere in the tree (0 if none), so builders can allocate more. */
export function maxPhandle(root: FdtNode): number {
  let max = root.getU32("phandle") ?? 0;
  for (const c of root.children) max = Math.max(max, maxPhandle(c));
  return max;
}

/** Finds the node whose "phandle" property equals `phandle`. */
export function findByPhandle(root: FdtNode, phandle: number): FdtNode | undefined {
  if (root.getU32("phandle") === phandle) return root;
  for (const c of root.children) {
    const hit = findByPhandle(c, phandle);
    if (hit) return hit;
  }
  return undefined;
}
