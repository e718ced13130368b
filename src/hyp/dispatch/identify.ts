// hypervisor_identify (0x00), prng_get_entropy (0x57), scheduler_yield (0x3b) and the
// vic hypercalls vic_configure (0x28) / vic_attach_vcpu (0x29) /
// vgic_set_mpidr_mapping (0x67).

import { API_INFO_IS_64BIT, API_VARIANT_GUNYAH, API_VERSION, Call, Feature } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { Rights } from "../abi/objects.js";
import type { HypObject } from "../object.js";
import type { Vic } from "../vic.js";
import { done, fail, lookup, type HandlerTable } from "./types.js";

/** api info: bits 13:0 version, bit 14 big-endian (0), bit 15 64-bit, bits 63:56 variant. */
export const API_INFO = BigInt(API_VERSION) | API_INFO_IS_64BIT | (API_VARIANT_GUNYAH << 56n);

/** Features this hypervisor implements; scheduler (bits 31:28) 0 = trivial. */
export const FEATURES0 = [
  Feature.CSPACE,
  Feature.DOORBELL,
  Feature.MSGQUEUE,
  Feature.VIC,
  Feature.VPM,
  Feature.VCPU,
  Feature.MEMEXTENT,
  Feature.PRNG,
  Feature.VCPU_RUN,
].reduce((acc, bit) => acc | (1n << BigInt(bit)), 0n);

/** A thread as vic_attach_vcpu sees it. */
export interface VicAttachable extends HypObject {
  attachVic(vic: Vic, index: number): number;
}

export const identifyHandlers: HandlerTable = {
  [Call.HYPERVISOR_IDENTIFY]: {
    // X0 is the api info, not an error code: the dispatcher substitutes API_INFO.
    fn: () => done(HypError.OK, FEATURES0, 0n, 0n),
  },
  [Call.PRNG_GET_ENTROPY]: {
    res0: [1],
    fn: (k, _c, a) => {
      const n = a[0]!;
      if (n === 0n || n > 16n) return fail(HypError.ARGUMENT_SIZE);
      const words: bigint[] = [];
      for (let i = 0; i < 4; i++) {
        // Only the requested bytes carry entropy; the rest read as zero.
        const bytes = Math.max(0, Math.min(4, Number(n) - i * 4));
        const mask = bytes === 4 ? 0xffff_ffff : (1 << (bytes * 8)) - 1;
        words.push(BigInt((k.prng.nextU32() & mask) >>> 0));
      }
      return done(HypError.OK, ...words);
    },
  },
  [Call.SCHEDULER_YIELD]: {
    res0: [2],
    // Proxy-scheduled vCPUs and native VMs share one thread: yielding is immediate.
    fn: (_k, _c, a) => (a[0]! >> 16n !== 0n ? fail(HypError.ARGUMENT_INVALID) : fail(HypError.OK)),
  },
  [Call.VIC_CONFIGURE]: {
    fn: (_k, c, a) => {
      const vic = lookup<Vic>(c, a[0]!, "vic", Rights.GENERIC_ACTIVATE, false);
      return vic.ok ? fail(vic.value.configure(a[1]!, a[2]!, a[3]!, a[4]!)) : fail(vic.error);
    },
  },
  [Call.VGIC_SET_MPIDR_MAPPING]: {
    // X1 vic, X2 mask, X3..X6 the Aff0..Aff3 shifts, X7 mt: every register is an
    // input (hyp/vm/vgic/vgic.hvc). Any object state in the lookup; the vic checks INIT.
    fn: (_k, c, a) => {
      const vic = lookup<Vic>(c, a[0]!, "vic", Rights.GENERIC_ACTIVATE, false);
      if (!vic.ok) return fail(vic.error);
      return fail(vic.value.setMpidrMapping(a[1]!, a.slice(2, 6), a[6]!));
    },
  },
  [Call.VIC_ATTACH_VCPU]: {
    res0: [3],
    fn: (_k, c, a) => {
      const vic = lookup<Vic>(c, a[0]!, "vic", Rights.vic.ATTACH_VCPU);
      if (!vic.ok) return fail(vic.error);
      const t = lookup<VicAttachable>(c, a[1]!, "thread", 0, false);
      if (!t.ok) return fail(t.error);
      if (a[2]! > 0xffffn) return fail(HypError.ARGUMENT_INVALID);
      return fail(t.value.attachVic(vic.value, Number(a[2]!)));
    },
  },
};
