// cspace_* hypercalls: delete (0x22), copy (0x23), configure (0x25), attach_thread
// (0x3e), revoke_caps_from (0x59). cspace_revoke_cap_from (0x24) is UNIMPLEMENTED, as
// in Gunyah's cspace_twolevel.

import { Call } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { Rights } from "../abi/objects.js";
import { revokeCaps, type Cspace } from "../cspace.js";
import type { HypObject } from "../object.js";
import { done, fail, lookup, type HandlerTable } from "./types.js";

/** A thread as cspace_attach_thread sees it. */
export interface CspaceAttachable extends HypObject {
  attachCspace(cspace: Cspace): number;
}

export const cspaceHandlers: HandlerTable = {
  [Call.CSPACE_DELETE_CAP_FROM]: {
    res0: [2],
    fn: (_k, c, a) => {
      const cs = lookup<Cspace>(c, a[0]!, "cspace", Rights.cspace.CAP_DELETE);
      return cs.ok ? fail(cs.value.delete(a[1]!)) : fail(cs.error);
    },
  },
  [Call.CSPACE_COPY_CAP_FROM]: {
    res0: [4],
    fn: (_k, c, a) => {
      const src = lookup<Cspace>(c, a[0]!, "cspace", Rights.cspace.CAP_COPY);
      if (!src.ok) return fail(src.error);
      const cap = src.value.lookupCap(a[1]!);
      if (!cap.ok) return fail(cap.error);
      const dst = lookup<Cspace>(c, a[2]!, "cspace", Rights.cspace.CAP_CREATE);
      if (!dst.ok) return fail(dst.error);
      const rights = (Number(a[3]! & 0xffff_ffffn) & cap.value.rights) >>> 0;
      // A copy with no rights left is refused (Gunyah's cspace_copy_cap).
      if (rights === 0) return fail(HypError.CSPACE_INSUFFICIENT_RIGHTS);
      const object = cap.value.object.get();
      const id = dst.value.insert(object, rights, false);
      if (!id.ok) {
        object.put();
        return fail(id.error);
      }
      return done(HypError.OK, id.value);
    },
  },
  [Call.CSPACE_REVOKE_CAPS_FROM]: {
    res0: [2],
    fn: (_k, c, a) => {
      const cs = lookup<Cspace>(c, a[0]!, "cspace", Rights.cspace.CAP_REVOKE);
      if (!cs.ok) return fail(cs.error);
      const cap = cs.value.lookupCap(a[1]!);
      if (!cap.ok) return fail(cap.error);
      return fail(revokeCaps(cap.value));
    },
  },
  [Call.CSPACE_CONFIGURE]: {
    res0: [2],
    fn: (_k, c, a) => {
      const cs = lookup<Cspace>(c, a[0]!, "cspace", Rights.GENERIC_ACTIVATE, false);
      return cs.ok ? fail(cs.value.configure(a[1]!)) : fail(cs.error);
    },
  },
  [Call.CSPACE_ATTACH_THREAD]: {
    res0: [2],
    fn: (_k, c, a) => {
      const cs = lookup<Cspace>(c, a[0]!, "cspace", Rights.cspace.ATTACH);
      if (!cs.ok) return fail(cs.error);
      const t = lookup<CspaceAttachable>(c, a[1]!, "thread", 0, false);
      if (!t.ok) return fail(t.error);
      return fail(t.value.attachCspace(cs.value));
    },
  },
};
