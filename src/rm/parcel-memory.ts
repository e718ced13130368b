// Moving a parcel's memory by hypercall (ARCHITECTURE.md "Memory"). Each parcel gets
// its own SPARSE memory extent, derived from the root extent over the owner's RAM
// range and so a sibling of the owner's RAM extent. Creating the parcel donates the
// SGL pages into it: TO_SIBLING for a SHARE (the owner's mappings stay, now
// accounted to the parcel), TO_PROTECTED for a LEND or DONATE (the owner's mappings
// are hidden). Accepting maps the parcel extent into the borrower's address space;
// reclaiming unmaps it everywhere and donates the pages back (TO_SIBLING or
// FROM_PROTECTED, which restores the owner's mappings), then deletes the extent.

import {
  Access,
  Call,
  DonateType,
  MapFlags,
  mappingAttrs,
  memextentAttrs,
  MemextentType,
} from "../hyp/abi/index.js";
import { err, ok, type Result } from "../lib/result.js";
import type { Hyp } from "./hvc.js";
import type { Parcel, Range } from "./memparcel.js";
import { RmError, TransType } from "./protocol/index.js";

/** A VM's RAM that the RM can hand out in parcels: an extent over [base, base+size). */
export interface OwnedRam {
  readonly extent: bigint;
  readonly base: number;
  readonly size: number;
}

export interface ParcelMemoryEnv {
  readonly hyp: Hyp;
  readonly partition: bigint;
  readonly cspace: bigint;
  readonly rootExtent: bigint;
  readonly rootBase: number;
  ramOf(vmid: number): OwnedRam | undefined;
  addrspaceOf(vmid: number): bigint | undefined;
}

interface Backing {
  readonly extent: bigint;
  readonly ram: OwnedRam;
}

export function rightsToAccess(rights: number): number {
  // RM rights and pgtable access share their encoding: X 1, W 2, R 4.
  return rights & Access.RWX;
}

export class ParcelMemory {
  constructor(private readonly env: ParcelMemoryEnv) {}

  /** The owner's RAM contains every range (the ownership rule). */
  ownsRanges(owner: number, ranges: readonly Range[]): boolean {
    const ram = this.env.ramOf(owner);
    if (!ram) return false;
    return ranges.every((r) => r.ipa >= ram.base && r.ipa + r.size <= ram.base + ram.size);
  }

  /** Takes the pages out of the owner's extent into a new parcel extent. */
  create(parcel: Parcel): Result<undefined, RmError> {
    const ram = this.env.ramOf(parcel.owner);
    if (!ram) return err(RmError.MEM_INVALID);
    const { hyp } = this.env;
    const extent = hyp.create(Call.PARTITION_CREATE_MEMEXTENT, this.env.partition, this.env.cspace);
    if (!extent.ok) return err(RmError.NOMEM);
    const cleanup = () => hyp.deleteCap(this.env.cspace, extent.value);
    const configured = hyp.memextentDerive(
      extent.value,
      this.env.rootExtent,
      ram.base - this.env.rootBase,
      ram.size,
      memextentAttrs(Access.RWX, MemextentType.SPARSE),
    );
    if (!configured.ok || !hyp.activate(extent.value).ok) {
      cleanup();
      return err(RmError.NOMEM);
    }
    const type =
      parcel.transType === TransType.SHARE ? DonateType.TO_SIBLING : DonateType.TO_PROTECTED;
    const done: Range[] = [];
    for (const r of parcel.sgl) {
      const moved = hyp.donate(type, ram.extent, extent.value, r.ipa - ram.base, r.size);
      if (!moved.ok) {
        this.giveBack({ extent: extent.value, ram }, parcel.transType, done);
        cleanup();
        return err(RmError.MEM_INVALID);
      }
      done.push(r);
    }
    parcel.backing = { extent: extent.value, ram } satisfies Backing;
    return ok();
  }

  /** Adds appended ranges to an existing parcel extent. */
  append(parcel: Parcel, ranges: readonly Range[]): Result<undefined, RmError> {
    const b = parcel.backing as Backing | undefined;
    if (!b) return err(RmError.MEM_INVALID);
    const type =
      parcel.transType === TransType.SHARE ? DonateType.TO_SIBLING : DonateType.TO_PROTECTED;
    const done: Range[] = [];
    for (const r of ranges) {
      const moved = this.env.hyp.donate(type, b.ram.extent, b.extent, r.ipa - b.ram.base, r.size);
      if (!moved.ok) {
        this.giveBack(b, parcel.transType, done);
        return err(RmError.MEM_INVALID);
      }
      done.push(r);
    }
    return ok();
  }

  /**
   * Maps the parcel into `vmid`'s address space, its ranges laid out one after the
   * other from the `at` ranges (which together have the parcel's size).
   */
  map(
    parcel: Parcel,
    vmid: number,
    at: readonly Range[],
    rights: number,
  ): Result<undefined, RmError> {
    const b = parcel.backing as Backing | undefined;
    const as = this.env.addrspaceOf(vmid);
    if (!b || as === undefined) return err(RmError.MAP_FAILED);
    const pieces = layOut(parcel.sgl, at);
    const mapped: { ipa: number; offset: number; size: number }[] = [];
    for (const p of pieces) {
      const r = this.env.hyp.map({
        as,
        extent: b.extent,
        vbase: p.ipa,
        attrs: mappingAttrs(rightsToAccess(rights)),
        flags: MapFlags.PARTIAL,
        offset: p.pa - b.ram.base,
        size: p.size,
      });
      if (!r.ok) {
        for (const m of mapped) this.unmapPiece(as, b.extent, m);
        return err(RmError.MAP_FAILED);
      }
      mapped.push({ ipa: p.ipa, offset: p.pa - b.ram.base, size: p.size });
    }
    return ok();
  }

  unmap(parcel: Parcel, vmid: number, at: readonly Range[]): void {
    const b = parcel.backing as Backing | undefined;
    const as = this.env.addrspaceOf(vmid);
    if (!b || as === undefined) return;
    for (const p of layOut(parcel.sgl, at))
      this.unmapPiece(as, b.extent, { ipa: p.ipa, offset: p.pa - b.ram.base, size: p.size });
  }

  /** Returns the pages to the owner and deletes the parcel extent. */
  release(parcel: Parcel): void {
    const b = parcel.backing as Backing | undefined;
    if (!b) return;
    this.giveBack(b, parcel.transType, parcel.sgl);
    this.env.hyp.deleteCap(this.env.cspace, b.extent);
    parcel.backing = undefined;
  }

  /** A donated parcel's extent stays with its recipient until the RM frees it. */
  discard(parcel: Parcel): void {
    const b = parcel.backing as Backing | undefined;
    if (!b) return;
    this.env.hyp.deleteCap(this.env.cspace, b.extent);
    parcel.backing = undefined;
  }

  /**
   * Maps the whole parcel into the RM's own address space at its physical addresses
   * (read-write) for the duration of `use`, which gets a reader/writer by parcel offset.
   */
  withRmMapping<T>(
    parcel: Parcel,
    rmVmid: number,
    ram: {
      read(pa: number, length: number): Uint8Array | undefined;
      write(pa: number, data: Uint8Array): boolean;
    },
    use: (io: ParcelIo) => T,
  ): Result<T, RmError> {
    const b = parcel.backing as Backing | undefined;
    const as = this.env.addrspaceOf(rmVmid);
    if (!b || as === undefined) return err(RmError.MAP_FAILED);
    const mapped: { ipa: number; offset: number; size: number }[] = [];
    const unmapAll = () => {
      for (const m of mapped) this.unmapPiece(as, b.extent, m);
    };
    for (const r of parcel.sgl) {
      const piece = { ipa: r.ipa, offset: r.ipa - b.ram.base, size: r.size };
      const ok1 = this.env.hyp.map({
        as,
        extent: b.extent,
        vbase: r.ipa,
        attrs: mappingAttrs(Access.RW),
        flags: MapFlags.PARTIAL,
        offset: piece.offset,
        size: r.size,
      });
      if (!ok1.ok) {
        unmapAll();
        return err(RmError.MAP_FAILED);
      }
      mapped.push(piece);
    }
    try {
      return ok(use(new ParcelIo(parcel.sgl, ram)));
    } finally {
      unmapAll();
    }
  }

  private unmapPiece(
    as: bigint,
    extent: bigint,
    p: { ipa: number; offset: number; size: number },
  ): void {
    this.env.hyp.unmap({
      as,
      extent,
      vbase: p.ipa,
      flags: MapFlags.PARTIAL,
      offset: p.offset,
      size: p.size,
    });
  }

  private giveBack(b: Backing, transType: TransType, ranges: readonly Range[]): void {
    const type = transType === TransType.SHARE ? DonateType.TO_SIBLING : DonateType.FROM_PROTECTED;
    for (const r of ranges)
      this.env.hyp.donate(type, b.extent, b.ram.extent, r.ipa - b.ram.base, r.size);
  }
}

/** Pairs the parcel's physical ranges with the IPA ranges they are mapped at. */
export function layOut(
  sgl: readonly Range[],
  at: readonly Range[],
): { pa: number; ipa: number; size: number }[] {
  const out: { pa: number; ipa: number; size: number }[] = [];
  let i = 0;
  let j = 0;
  let usedSrc = 0;
  let usedDst = 0;
  while (i < sgl.length && j < at.length) {
    const s = sgl[i]!;
    const d = at[j]!;
    const size = Math.min(s.size - usedSrc, d.size - usedDst);
    out.push({ pa: s.ipa + usedSrc, ipa: d.ipa + usedDst, size });
    usedSrc += size;
    usedDst += size;
    if (usedSrc === s.size) {
      i++;
      usedSrc = 0;
    }
    if (usedDst === d.size) {
      j++;
      usedDst = 0;
    }
  }
  return out;
}

/** Reads and writes a parcel by offset, walking its scatter-gather list. */
export class ParcelIo {
  readonly size: number;

  constructor(
    private readonly sgl: readonly Range[],
    private readonly ram: {
      read(pa: number, length: number): Uint8Array | undefined;
      write(pa: number, data: Uint8Array): boolean;
    },
  ) {
    this.size = sgl.reduce((n, r) => n + r.size, 0);
  }

  read(offset: number, length: number): Uint8Array | undefined {
    if (offset < 0 || length < 0 || offset + length > this.size) return undefined;
    const out = new Uint8Array(length);
    let ok1 = true;
    this.walk(offset, length, (pa, at, n) => {
      const bytes = this.ram.read(pa, n);
      if (!bytes) ok1 = false;
      else out.set(bytes, at);
    });
    return ok1 ? out : undefined;
  }

  write(offset: number, data: Uint8Array): boolean {
    if (offset < 0 || offset + data.length > this.size) return false;
    let ok1 = true;
    this.walk(offset, data.length, (pa, at, n) => {
      if (!this.ram.write(pa, data.subarray(at, at + n))) ok1 = false;
    });
    return ok1;
  }

  private walk(
    offset: number,
    length: number,
    fn: (pa: number, at: number, n: number) => void,
  ): void {
    let pos = 0;
    for (const r of this.sgl) {
      const from = Math.max(offset, pos);
      const to = Math.min(offset + length, pos + r.size);
      if (from < to) fn(r.ipa + (from - pos), from - offset, to - from);
      pos += r.size;
    }
  }
}
