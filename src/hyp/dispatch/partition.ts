// partition_create_* (0x01-0x07, 0x0a, 0x0b, and the vRTC's, calls.ts), object_activate(_from) (0x0c, 0x0d),
// object_reset(_from) (0x0e, 0x0f) and vpm_group_configure (0x66).
// A new object gets a cap with all rights in the named cspace, which must grant
// cap_create; if the cspace is full the object is destroyed again (CSPACE_FULL).

import { Call } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { Rights } from "../abi/objects.js";
import type { CallerContext } from "../context.js";
import type { Cspace } from "../cspace.js";
import type { Kernel } from "../kernel.js";
import type { ObjectType } from "../object.js";
import type { Partition } from "../partition.js";
import { VpmGroup } from "../vpm.js";
import { done, fail, lookup, type HandlerOut, type HandlerTable } from "./types.js";

function create(type: ObjectType) {
  return (k: Kernel, c: CallerContext, a: readonly bigint[]): HandlerOut => {
    const p = lookup<Partition>(c, a[0]!, "partition", Rights.partition.OBJECT_CREATE);
    if (!p.ok) return fail(p.error);
    const cs = lookup<Cspace>(c, a[1]!, "cspace", Rights.cspace.CAP_CREATE);
    if (!cs.ok) return fail(cs.error);
    const object = k.createObject(type, p.value);
    if (!object) return fail(HypError.UNIMPLEMENTED);
    const cap = cs.value.insert(object, Rights.ALL, true);
    if (!cap.ok) {
      object.put();
      return fail(cap.error);
    }
    return done(HypError.OK, cap.value);
  };
}

const CREATE: readonly [number, ObjectType][] = [
  [Call.PARTITION_CREATE_PARTITION, "partition"],
  [Call.PARTITION_CREATE_CSPACE, "cspace"],
  [Call.PARTITION_CREATE_ADDRSPACE, "addrspace"],
  [Call.PARTITION_CREATE_MEMEXTENT, "memextent"],
  [Call.PARTITION_CREATE_THREAD, "thread"],
  [Call.PARTITION_CREATE_DOORBELL, "doorbell"],
  [Call.PARTITION_CREATE_MSGQUEUE, "msgqueue"],
  [Call.PARTITION_CREATE_VIC, "vic"],
  [Call.PARTITION_CREATE_VPM_GROUP, "vpm_group"],
  [Call.PARTITION_CREATE_VRTC, "vrtc"],
];

function activateIn(cspace: Cspace, id: bigint): HandlerOut {
  const cap = cspace.lookupAny(id, Rights.GENERIC_ACTIVATE);
  if (!cap.ok) return fail(cap.error);
  return fail(cap.value.object.activate());
}

/**
 * vpm_group_configure (0x66), as hyp/vm/vpm_base/src/hypercalls.c: flags other than
 * bit 0 (no_aggregation) get Gunyah's ERROR_UNIMPLEMENTED (its answer for options it
 * does not define) before any lookup; the cap needs the
 * generic activate right (CSPACE_* errors), must name a vPM group
 * (CSPACE_WRONG_OBJECT_TYPE) still in INIT (OBJECT_STATE). res0 is checked by the
 * dispatcher (ARGUMENT_INVALID), as Gunyah's generated glue does.
 */
function vpmGroupConfigure(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const flags = a[1]!;
  if ((flags & ~1n) !== 0n) return fail(HypError.UNIMPLEMENTED);
  if (!c.cspace) return fail(HypError.CSPACE_CAP_NULL);
  const cap = c.cspace.lookupAny(a[0]!, Rights.GENERIC_ACTIVATE);
  if (!cap.ok) return fail(cap.error);
  const group = cap.value.object;
  if (!(group instanceof VpmGroup)) return fail(HypError.CSPACE_WRONG_OBJECT_TYPE);
  const state = group.requireInit();
  if (state !== HypError.OK) return fail(state);
  group.noAggregation = (flags & 1n) !== 0n;
  return fail(HypError.OK);
}

export const partitionHandlers: HandlerTable = {
  [Call.VPM_GROUP_CONFIGURE]: { res0: [2], fn: (_k, c, a) => vpmGroupConfigure(c, a) },
  // object_reset / object_reset_from answer as Gunyah itself does. The public
  // hypervisor's hypercalls.c (hyp/core/object_standard) returns ERROR_UNIMPLEMENTED for
  // every cap, so a caller sees exactly that after the glue's res0 check
  // (ARGUMENT_INVALID); no object type supports reset there.
  [Call.OBJECT_RESET]: { res0: [1], fn: () => fail(HypError.UNIMPLEMENTED) },
  [Call.OBJECT_RESET_FROM]: { res0: [2], fn: () => fail(HypError.UNIMPLEMENTED) },
  ...Object.fromEntries(CREATE.map(([n, t]) => [n, { res0: [2], fn: create(t) }])),
  [Call.OBJECT_ACTIVATE]: {
    res0: [1],
    fn: (_k, c, a) => (c.cspace ? activateIn(c.cspace, a[0]!) : fail(HypError.CSPACE_CAP_NULL)),
  },
  [Call.OBJECT_ACTIVATE_FROM]: {
    res0: [2],
    fn: (_k, c, a) => {
      const cs = lookup<Cspace>(c, a[0]!, "cspace", 0);
      return cs.ok ? activateIn(cs.value, a[1]!) : fail(cs.error);
    },
  },
};
