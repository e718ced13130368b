// An address space's VMMIO ranges (addrspace_configure_vmmio): the IPA ranges whose
// guest accesses become vcpu_run exits for the VMM instead of stage-2 faults.

import { HypError } from "./abi/errors.js";
import { checkedAdd, rangesOverlap, u64ToSafe } from "../lib/checked.js";
import { IPA_LIMIT } from "./addrspace-runs.js";

export const VMMIO_MAX_RANGES = 128;

export interface VmmioRange {
  readonly base: number;
  readonly size: number;
}

export class VmmioRanges {
  private ranges: VmmioRange[] = [];

  get list(): readonly VmmioRange[] {
    return this.ranges;
  }

  /**
   * addrspace_configure_vmmio ADD: byte-granular like Gunyah's GPT. Size 0 is
   * ARGUMENT_SIZE, a wrapping range ADDR_OVERFLOW, the 129th range NORESOURCES, an
   * overlap ARGUMENT_INVALID.
   */
  add(base: bigint, size: bigint): number {
    if (size === 0n) return HypError.ARGUMENT_SIZE;
    const b = u64ToSafe(base);
    const s = u64ToSafe(size);
    if (b === undefined || s === undefined || checkedAdd(b, s) === undefined || b + s > IPA_LIMIT)
      return HypError.ADDR_OVERFLOW;
    if (this.ranges.length >= VMMIO_MAX_RANGES) return HypError.NORESOURCES;
    if (this.ranges.some((v) => rangesOverlap(v.base, v.size, b, s)))
      return HypError.ARGUMENT_INVALID;
    this.ranges.push({ base: b, size: s });
    return HypError.OK;
  }

  /** Removal needs the exact range that was added. */
  remove(base: bigint, size: bigint): number {
    if (size === 0n) return HypError.ARGUMENT_SIZE;
    if (base + size > (1n << 64n) - 1n) return HypError.ADDR_OVERFLOW;
    const i = this.ranges.findIndex((v) => BigInt(v.base) === base && BigInt(v.size) === size);
    if (i < 0) return HypError.ARGUMENT_INVALID;
    this.ranges.splice(i, 1);
    return HypError.OK;
  }

  contains(ipa: number): boolean {
    return this.ranges.some((v) => ipa >= v.base && ipa < v.base + v.size);
  }

  clear(): void {
    this.ranges = [];
  }
}
