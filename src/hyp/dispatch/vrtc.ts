// The vRTC hypercalls (hyp/interfaces/vrtc/vrtc.hvc; their checks and order as in
// hyp/vm/vrtc_pl031/src/hypercalls.c). partition_create_vrtc is in partition.ts's
// create table. res0 is checked by the dispatcher (ARGUMENT_INVALID) before any of
// these run, as Gunyah's generated glue does.

import { Call } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { Rights } from "../abi/objects.js";
import type { Addrspace } from "../addrspace.js";
import type { CallerContext } from "../context.js";
import { VRTC_DEV_SIZE, type Vrtc } from "../vrtc.js";
import { fail, lookup, type HandlerOut, type HandlerTable } from "./types.js";

const U64_LIMIT = 1n << 64n;

/**
 * vrtc_configure(vrtc, ipa): the IPA must be page aligned and the page must not wrap
 * (ADDR_INVALID, checked before the cap); the cap needs `configure` and may name a
 * vRTC in any state, but only one in INIT is configured (else OBJECT_STATE).
 */
function configure(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const ipa = a[1]!;
  if (ipa % BigInt(VRTC_DEV_SIZE) !== 0n || ipa + BigInt(VRTC_DEV_SIZE) >= U64_LIMIT)
    return fail(HypError.ADDR_INVALID);
  const v = lookup<Vrtc>(c, a[0]!, "vrtc", Rights.vrtc.CONFIGURE, false);
  if (!v.ok) return fail(v.error);
  // IPAs this implementation can name are below 2^44 (addrspace.ts IPA_LIMIT); a larger
  // aligned one is stored and then refused by vrtc_attach_addrspace, as in Gunyah.
  return fail(v.value.configure(Number(ipa)));
}

/**
 * vrtc_set_time_base(vrtc, time_base ns, sys_timer_ref ticks): an ACTIVE vRTC with
 * `set_time_base`; once only (BUSY); a reference after the counter's present value is
 * ARGUMENT_INVALID.
 */
function setTimeBase(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const v = lookup<Vrtc>(c, a[0]!, "vrtc", Rights.vrtc.SET_TIME_BASE);
  if (!v.ok) return fail(v.error);
  return fail(v.value.setTimeBase(a[1]!, a[2]!));
}

/**
 * vrtc_attach_addrspace(vrtc, addrspace): an ACTIVE vRTC with `attach_addrspace`, an
 * address space cap with `map` (any state in the lookup, then ACTIVE or OBJECT_STATE)
 * whose range holds the vRTC's page.
 */
function attachAddrspace(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const v = lookup<Vrtc>(c, a[0]!, "vrtc", Rights.vrtc.ATTACH_ADDRSPACE);
  if (!v.ok) return fail(v.error);
  const as = lookup<Addrspace>(c, a[1]!, "addrspace", Rights.addrspace.MAP, false);
  if (!as.ok) return fail(as.error);
  return fail(as.value.attachVrtc(v.value, v.value.ipa!, VRTC_DEV_SIZE));
}

export const vrtcHandlers: HandlerTable = {
  [Call.VRTC_CONFIGURE]: { res0: [2], fn: (_k, c, a) => configure(c, a) },
  [Call.VRTC_SET_TIME_BASE]: { res0: [3], fn: (_k, c, a) => setTimeBase(c, a) },
  [Call.VRTC_ATTACH_ADDRSPACE]: { res0: [2], fn: (_k, c, a) => attachAddrspace(c, a) },
};
