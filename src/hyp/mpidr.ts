// The mapping between a vCPU's index in its vic and the MPIDR_EL1 the guest sees, as
// public Gunyah keeps it per vic (hyp/vm/vgic/vgic.tc `mpidr_mapping`, the
// platform_mpidr_mapping structure of hyp/interfaces/platform/platform.tc): for each
// affinity level a mask of index bits and the shift at which they sit in the index.
// The conversions follow hyp/platform/arm_generic/aarch64/src/cpu.c
// (platform_cpu_map_index_to_mpidr / _map_mpidr_to_index / _map_mpidr_valid), the
// checks hypercall_vgic_set_mpidr_mapping (hyp/vm/vgic/src/distrib.c).

import { HypError } from "./abi/errors.js";
import { err, ok, type Result } from "../lib/result.js";

/** Four entries: Aff0, Aff1, Aff2, Aff3. */
type PerLevel = readonly [number, number, number, number];

export interface MpidrMapping {
  /** Where each level's bits sit in the vCPU index. */
  readonly shifts: PerLevel;
  /** Which bits of each affinity field are used (8 bits each). */
  readonly masks: PerLevel;
  /** MPIDR_EL1.MT (bit 24). */
  readonly multiThread: boolean;
  /** MPIDR_EL1.U (bit 30): set when the mapping has no index bits at all. */
  readonly uniprocessor: boolean;
}

/**
 * The mapping of a vic nobody configured (Gunyah's default is the platform's own:
 * distrib.c vic init). Ours is the machine's: Aff0 = index bits 7:0, Aff1 = bits 15:8,
 * so a vCPU's MPIDR affinity is its vic index, as it always was here.
 */
export const DEFAULT_MPIDR_MAPPING: MpidrMapping = {
  shifts: [0, 8, 0, 0],
  masks: [0xff, 0xff, 0, 0],
  multiThread: false,
  uniprocessor: false,
};

/** Bit positions of Aff0..Aff3 in MPIDR_EL1 (and in GICD_IROUTER). */
const AFF_POS = [0n, 8n, 16n, 32n] as const;
const MPIDR_RES1 = 1n << 31n;
const MPIDR_MT = 1n << 24n;
const MPIDR_U = 1n << 30n;
/** cpu_index_t is 16 bits and CPU_INDEX_INVALID (0xffff) must stay unreachable. */
const CPU_INDEX_INVALID = 0xffffn;

/** Affinity level `level` (0..3) of an MPIDR or IROUTER value. */
export function affinityField(value: bigint, level: number): number {
  return Number((value >> AFF_POS[level as 0]) & 0xffn);
}

/**
 * vgic_set_mpidr_mapping's checks, in Gunyah's order: each shift below 32, no two
 * levels' index bits overlapping, the index bits contiguous from bit 0 and below
 * CPU_INDEX_INVALID. Only the Aff fields of `mask` are read (the call casts it to
 * MPIDR_EL1, whose other bits it ignores). Gunyah's `mt` is a C bool: we take 0 or 1
 * and refuse anything else, as we refuse a shift register with bits above 31 (which
 * Gunyah's count_t would silently drop).
 */
export function makeMpidrMapping(
  mask: bigint,
  shifts: readonly bigint[],
  mt: bigint,
): Result<MpidrMapping, number> {
  if (mt > 1n) return err(HypError.ARGUMENT_INVALID);
  let indexBits = 0n;
  const masks: number[] = [];
  for (let level = 0; level < 4; level++) {
    const shift = shifts[level] ?? 0n;
    if (shift >= 32n) return err(HypError.ARGUMENT_INVALID);
    const m = affinityField(mask, level);
    const field = BigInt(m) << shift;
    if ((indexBits & field) !== 0n) return err(HypError.ARGUMENT_INVALID);
    indexBits |= field;
    masks.push(m);
  }
  // Not sparse: indexBits + 1 is a power of two.
  if (((indexBits + 1n) & indexBits) !== 0n || indexBits >= CPU_INDEX_INVALID)
    return err(HypError.ARGUMENT_INVALID);
  return ok({
    shifts: shifts.slice(0, 4).map(Number) as unknown as PerLevel,
    masks: masks as unknown as PerLevel,
    multiThread: mt === 1n,
    uniprocessor: indexBits === 0n,
  });
}

/** MPIDR_EL1 of the vCPU at `index` (platform_cpu_map_index_to_mpidr). */
export function indexToMpidr(m: MpidrMapping, index: number): bigint {
  let mpidr = MPIDR_RES1;
  for (let level = 0; level < 4; level++) {
    const aff = Math.floor(index / 2 ** m.shifts[level as 0]) & m.masks[level as 0];
    mpidr |= BigInt(aff) << AFF_POS[level as 0];
  }
  if (m.multiThread) mpidr |= MPIDR_MT;
  if (m.uniprocessor) mpidr |= MPIDR_U;
  return mpidr;
}

/**
 * The vCPU index an affinity (an MPIDR, IROUTER or PSCI target) names, or undefined
 * when a field has bits outside its mask (vgic_get_index_for_mpidr,
 * platform_cpu_map_mpidr_valid). The caller checks the index against its vCPU count.
 */
export function mpidrToIndex(m: MpidrMapping, affinity: bigint): number | undefined {
  let index = 0;
  for (let level = 0; level < 4; level++) {
    const aff = affinityField(affinity, level);
    if ((aff & ~m.masks[level as 0]) !== 0) return undefined;
    index += aff * 2 ** m.shifts[level as 0];
  }
  return index;
}
