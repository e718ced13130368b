// The MMIO bus: the one owner of the VMM's part of the guest address map (style rule 6).
// Registration refuses overlaps; every access is checked for width, alignment and full
// range before it reaches a device, and devices see offsets, never guest addresses.

import { err, ok, type Result } from "../lib/result.js";
import { rangeEnd, rangesOverlap } from "../lib/checked.js";
import { isAccessWidth, type AccessWidth, type MmioDevice } from "./device.js";

export type BusError =
  | { readonly kind: "unmapped"; readonly address: number }
  | { readonly kind: "bad-width"; readonly address: number; readonly width: number }
  | { readonly kind: "misaligned"; readonly address: number; readonly width: number }
  | { readonly kind: "straddles"; readonly address: number; readonly width: number }
  | {
      readonly kind: "device";
      readonly device: string;
      readonly offset: number;
      readonly reason: string;
    };

export type RegisterError =
  | { readonly kind: "bad-range"; readonly base: number; readonly size: number }
  | { readonly kind: "overlap"; readonly device: string; readonly existing: string };

interface Mapping {
  readonly base: number;
  readonly end: number;
  readonly device: MmioDevice;
}

export function describeBusError(e: BusError): string {
  const at = (a: number) => `0x${a.toString(16)}`;
  switch (e.kind) {
    case "unmapped":
      return `no device at ${at(e.address)}`;
    case "bad-width":
      return `${e.width}-byte access at ${at(e.address)} is not a width the device accepts`;
    case "misaligned":
      return `${e.width}-byte access at ${at(e.address)} is not naturally aligned`;
    case "straddles":
      return `${e.width}-byte access at ${at(e.address)} runs past the end of the device`;
    case "device":
      return `${e.device} refused the access at offset 0x${e.offset.toString(16)}: ${e.reason}`;
  }
}

export class MmioBus {
  /** Sorted by base; at most a few dozen entries, so a linear scan is fine. */
  private readonly mappings: Mapping[] = [];

  register(base: number, device: MmioDevice): Result<void, RegisterError> {
    const end = rangeEnd(base, device.size);
    if (end === undefined || base < 0 || !Number.isSafeInteger(base))
      return err({ kind: "bad-range", base, size: device.size });
    const clash = this.mappings.find((m) =>
      rangesOverlap(base, device.size, m.base, m.end - m.base),
    );
    if (clash) return err({ kind: "overlap", device: device.name, existing: clash.device.name });
    this.mappings.push({ base, end, device });
    this.mappings.sort((a, b) => a.base - b.base);
    return ok();
  }

  /** Every registered window, for the device tree and diagnostics. */
  windows(): readonly { readonly base: number; readonly size: number; readonly name: string }[] {
    return this.mappings.map((m) => ({ base: m.base, size: m.end - m.base, name: m.device.name }));
  }

  /** The device and register at `address` (for traces), or undefined outside every window. */
  describe(address: number): { readonly device: string; readonly register: string } | undefined {
    const m = this.find(address);
    if (!m) return undefined;
    const offset = address - m.base;
    const register = m.device.registerName?.(offset) ?? `0x${offset.toString(16)}`;
    return { device: m.device.name, register };
  }

  read(address: number, width: number): Result<bigint, BusError> {
    const target = this.resolve(address, width);
    if (!target.ok) return target;
    const { mapping, offset, w } = target.value;
    const r = mapping.device.read(offset, w);
    if (!r.ok)
      return err({ kind: "device", device: mapping.device.name, offset, reason: r.error.reason });
    return ok(BigInt.asUintN(w * 8, r.value));
  }

  write(address: number, width: number, value: bigint): Result<void, BusError> {
    const target = this.resolve(address, width);
    if (!target.ok) return target;
    const { mapping, offset, w } = target.value;
    const r = mapping.device.write(offset, w, BigInt.asUintN(w * 8, value));
    if (!r.ok)
      return err({ kind: "device", device: mapping.device.name, offset, reason: r.error.reason });
    return ok();
  }

  /** The checks of style rule 6, in order: width, alignment, window, full range, device width. */
  private resolve(
    address: number,
    width: number,
  ): Result<{ mapping: Mapping; offset: number; w: AccessWidth }, BusError> {
    if (!isAccessWidth(width)) return err({ kind: "bad-width", address, width });
    if (!Number.isSafeInteger(address) || address < 0) return err({ kind: "unmapped", address });
    // Device registers are Device memory: an unaligned access faults on hardware too.
    if (address % width !== 0) return err({ kind: "misaligned", address, width });
    const mapping = this.find(address);
    if (!mapping) return err({ kind: "unmapped", address });
    if (address + width > mapping.end) return err({ kind: "straddles", address, width });
    if (!mapping.device.widths.includes(width)) return err({ kind: "bad-width", address, width });
    return ok({ mapping, offset: address - mapping.base, w: width });
  }

  private find(address: number): Mapping | undefined {
    for (const m of this.mappings) {
      if (address < m.base) return undefined;
      if (address < m.end) return m;
    }
    return undefined;
  }
}
