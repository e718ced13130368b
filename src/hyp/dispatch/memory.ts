// Address space and memory extent hypercalls: addrspace_attach_thread (0x2a), map
// (0x2b), unmap (0x2c), update_access (0x2d), configure (0x2e), lookup (0x5a),
// configure_vmmio (0x60); memextent_modify (0x30), configure (0x31),
// configure_derive (0x32), donate (0x61).

import { Call } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { Access, DONATE_NOSYNC, ObjectState, Rights, VmmioOp } from "../abi/objects.js";
import type { Addrspace } from "../addrspace.js";
import { Memextent, extentOffsetRange } from "../memextent.js";
import type { HypObject } from "../object.js";
import { done, fail, lookup, type HandlerTable } from "./types.js";

/** A thread as addrspace_attach_thread sees it. */
export interface AddrspaceAttachable extends HypObject {
  attachAddrspace(addrspace: Addrspace): number;
}

const MODIFY_OP_MASK = 0xffn;
const ModifyOp = { UNMAP_ALL: 0n, ZERO_RANGE: 1n, CACHE_CLEAN_RANGE: 2n, CACHE_FLUSH_RANGE: 3n };

function pair(
  c: Parameters<typeof lookup>[0],
  asId: bigint,
  asRights: number,
  meId: bigint,
  meRights: number,
): { as: Addrspace; me: Memextent } | number {
  const as = lookup<Addrspace>(c, asId, "addrspace", asRights);
  if (!as.ok) return as.error;
  const me = lookup<Memextent>(c, meId, "memextent", meRights);
  if (!me.ok) return me.error;
  return { as: as.value, me: me.value };
}

export const memoryHandlers: HandlerTable = {
  [Call.ADDRSPACE_ATTACH_THREAD]: {
    res0: [2],
    fn: (_k, c, a) => {
      const as = lookup<Addrspace>(c, a[0]!, "addrspace", Rights.addrspace.ATTACH);
      if (!as.ok) return fail(as.error);
      const t = lookup<AddrspaceAttachable>(c, a[1]!, "thread", 0, false);
      if (!t.ok) return fail(t.error);
      return fail(t.value.attachAddrspace(as.value));
    },
  },
  [Call.ADDRSPACE_MAP]: {
    fn: (_k, c, a) => {
      const p = pair(c, a[0]!, Rights.addrspace.MAP, a[1]!, Rights.memextent.MAP);
      if (typeof p === "number") return fail(p);
      return fail(p.as.map(p.me, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!));
    },
  },
  [Call.ADDRSPACE_UNMAP]: {
    res0: [6],
    fn: (_k, c, a) => {
      const p = pair(c, a[0]!, Rights.addrspace.MAP, a[1]!, Rights.memextent.MAP);
      if (typeof p === "number") return fail(p);
      return fail(p.as.unmap(p.me, a[2]!, a[3]!, a[4]!, a[5]!));
    },
  },
  [Call.ADDRSPACE_UPDATE_ACCESS]: {
    fn: (_k, c, a) => {
      const p = pair(c, a[0]!, Rights.addrspace.MAP, a[1]!, Rights.memextent.MAP);
      if (typeof p === "number") return fail(p);
      return fail(p.as.updateAccess(p.me, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!));
    },
  },
  [Call.ADDRSPACE_CONFIGURE]: {
    res0: [2],
    fn: (_k, c, a) => {
      const as = lookup<Addrspace>(c, a[0]!, "addrspace", Rights.GENERIC_ACTIVATE, false);
      return as.ok ? fail(as.value.configure(a[1]!)) : fail(as.error);
    },
  },
  [Call.ADDRSPACE_LOOKUP]: {
    res0: [4],
    fn: (_k, c, a) => {
      const p = pair(c, a[0]!, Rights.addrspace.LOOKUP, a[1]!, Rights.memextent.LOOKUP);
      if (typeof p === "number") return fail(p);
      const r = p.as.lookupMapping(p.me, a[2]!, a[3]!);
      return r.ok ? done(HypError.OK, r.value.offset, r.value.size, r.value.attrs) : fail(r.error);
    },
  },
  [Call.ADDRSPACE_CONFIGURE_VMMIO]: {
    res0: [4],
    fn: (_k, c, a) => {
      // INIT or ACTIVE address spaces (Gunyah: before or after activation).
      const as = lookup<Addrspace>(c, a[0]!, "addrspace", Rights.addrspace.ADD_VMMIO_RANGE, false);
      if (!as.ok) return fail(as.error);
      if (as.value.state !== ObjectState.INIT && !as.value.isActive)
        return fail(HypError.OBJECT_STATE);
      if (a[3] === BigInt(VmmioOp.ADD)) return fail(as.value.addVmmio(a[1]!, a[2]!));
      if (a[3] === BigInt(VmmioOp.REMOVE)) return fail(as.value.removeVmmio(a[1]!, a[2]!));
      return fail(HypError.UNIMPLEMENTED);
    },
  },
  [Call.MEMEXTENT_CONFIGURE]: {
    res0: [4],
    fn: (_k, c, a) => {
      const me = lookup<Memextent>(c, a[0]!, "memextent", Rights.GENERIC_ACTIVATE, false);
      return me.ok ? fail(me.value.configure(a[1]!, a[2]!, a[3]!)) : fail(me.error);
    },
  },
  [Call.MEMEXTENT_CONFIGURE_DERIVE]: {
    res0: [5],
    fn: (_k, c, a) => {
      const me = lookup<Memextent>(c, a[0]!, "memextent", Rights.GENERIC_ACTIVATE, false);
      if (!me.ok) return fail(me.error);
      const parent = lookup<Memextent>(c, a[1]!, "memextent", Rights.memextent.DERIVE);
      if (!parent.ok) return fail(parent.error);
      return fail(me.value.configureDerive(parent.value, a[2]!, a[3]!, a[4]!));
    },
  },
  [Call.MEMEXTENT_MODIFY]: {
    res0: [4],
    fn: (_k, c, a) => {
      const me = lookup<Memextent>(c, a[0]!, "memextent", Rights.memextent.MAP);
      if (!me.ok) return fail(me.error);
      const options = a[1]!;
      if ((options & ~(MODIFY_OP_MASK | BigInt(DONATE_NOSYNC))) !== 0n)
        return fail(HypError.ARGUMENT_INVALID);
      const op = options & MODIFY_OP_MASK;
      if (op === ModifyOp.UNMAP_ALL) {
        me.value.unmapAll();
        return fail(HypError.OK);
      }
      if (op > ModifyOp.CACHE_FLUSH_RANGE) return fail(HypError.ARGUMENT_INVALID);
      // Gunyah's memextent_clean_range: only writable extents, then the range checks.
      if ((me.value.access & Access.W) === 0) return fail(HypError.DENIED);
      const r = extentOffsetRange(a[2]!, a[3]!);
      if (typeof r === "number") return fail(r);
      if (r.firstPage + r.pages > me.value.pages) return fail(HypError.ARGUMENT_INVALID);
      const first = me.value.basePage + r.firstPage;
      if (!me.value.ownsPages(first, r.pages)) return fail(HypError.MEMDB_NOT_OWNER);
      // Cache maintenance has nothing to do on coherent emulated memory.
      if (op === ModifyOp.ZERO_RANGE) me.value.zeroPages(first, r.pages);
      return fail(HypError.OK);
    },
  },
  [Call.MEMEXTENT_DONATE]: {
    res0: [5],
    fn: (_k, c, a) => {
      const options = a[0]!;
      if ((options & ~(0xffn | BigInt(DONATE_NOSYNC))) !== 0n)
        return fail(HypError.ARGUMENT_INVALID);
      const from = lookup<Memextent>(c, a[1]!, "memextent", Rights.memextent.DONATE);
      if (!from.ok) return fail(from.error);
      const to = lookup<Memextent>(c, a[2]!, "memextent", Rights.memextent.DONATE);
      if (!to.ok) return fail(to.error);
      // NOSYNC only defers TLB maintenance in Gunyah; we always invalidate at once,
      // which is never less safe.
      return fail(Memextent.donate(Number(options & 0xffn), from.value, to.value, a[3]!, a[4]!));
    },
  },
};
