// VM_RESET's safety net for demand-paged memory. The host is expected to reclaim every
// page it gave a VM before VM_RESET (Linux does); a page it left behind would go to the
// root extent when the guest extents are destroyed, lost to the host for good. So,
// in the "release memparcels" stage, the RM walks the VM's demand-paging ranges with
// addrspace_lookup and returns whatever is still mapped: unmap, then donate back
// (FROM_PROTECTED for guest-private, TO_SIBLING for guest-shared). The walk is done
// in slices so that a large guest never blocks the event loop for long.

import { DonateType, MapFlags } from "../hyp/abi/index.js";
import type { Hyp } from "./hvc.js";

const PAGE = 4096;
/** Pages looked at per slice (about a millisecond of failed lookups). */
const SLICE_PAGES = 1024;

export interface RecoveryTarget {
  readonly addrspace: bigint;
  readonly guestPrivate: bigint;
  readonly guestShared: bigint;
  /** The host's RAM extent, where the pages go back to. */
  readonly hostRam: bigint;
  readonly ranges: readonly { base: number; size: number }[];
}

export interface RecoveryProgress {
  /** Pages handed back to the host so far. */
  recovered: number;
}

/**
 * Returns a step function: each call examines up to SLICE_PAGES pages and returns
 * true once every range has been walked.
 */
export function pageRecovery(
  hyp: Hyp,
  t: RecoveryTarget,
  progress: RecoveryProgress,
): () => boolean {
  let range = 0;
  let ipa = t.ranges[0]?.base ?? 0;
  const extents: [bigint, number][] = [
    [t.guestPrivate, DonateType.FROM_PROTECTED],
    [t.guestShared, DonateType.TO_SIBLING],
  ];
  const recoverAt = (at: number, left: number): number => {
    for (const [extent, type] of extents) {
      const found = hyp.lookup(t.addrspace, extent, at, Math.min(left, 1 << 30));
      if (!found.ok) continue;
      const { offset, size } = found.value;
      const unmapped = hyp.unmap({
        as: t.addrspace,
        extent,
        vbase: at,
        flags: MapFlags.PARTIAL,
        offset,
        size,
      });
      if (unmapped.ok && hyp.donate(type, extent, t.hostRam, offset, size).ok)
        progress.recovered += size / PAGE;
      return Math.max(size, PAGE);
    }
    return PAGE;
  };
  return () => {
    for (let n = 0; n < SLICE_PAGES; n++) {
      const r = t.ranges[range];
      if (!r) return true;
      if (ipa >= r.base + r.size) {
        range++;
        ipa = t.ranges[range]?.base ?? 0;
        continue;
      }
      ipa += recoverAt(ipa, r.base + r.size - ipa);
    }
    return range >= t.ranges.length;
  };
}
