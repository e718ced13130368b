// vCPU and vPM hypercalls: vcpu_configure (0x34), poweron (0x38), poweroff (0x39),
// kill (0x3a), set_affinity (0x3d), bind/unbind_virq (0x5c/0x5d), register_write
// (0x64), run (0x65), run_check (0x68); vpm_group_attach_vcpu (0x3c), bind/unbind
// VIRQ (0x43/0x44), get_state (0x45).

import { Call } from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import { Rights } from "../abi/objects.js";
import type { CallerContext } from "../context.js";
import type { Vcpu } from "../vcpu.js";
import { checkVcpu, runVcpu, type RunResult } from "../vcpu-run.js";
import type { Vic } from "../vic.js";
import type { VpmGroup } from "../vpm.js";
import { done, fail, lookup, type HandlerOut, type HandlerTable } from "./types.js";

function vcpu(c: CallerContext, id: bigint, rights: number, activeOnly = true) {
  return lookup<Vcpu>(c, id, "thread", rights, activeOnly);
}

function runOut(r: RunResult): HandlerOut {
  return done(HypError.OK, BigInt(r.state), ...r.data);
}

export const vcpuHandlers: HandlerTable = {
  [Call.VCPU_CONFIGURE]: {
    res0: [2],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.GENERIC_ACTIVATE, false);
      return v.ok ? fail(v.value.configure(a[1]!)) : fail(v.error);
    },
  },
  [Call.VCPU_SET_AFFINITY]: {
    res1: [2],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.AFFINITY, false);
      return v.ok ? fail(v.value.setAffinity(a[1]!)) : fail(v.error);
    },
  },
  [Call.VCPU_POWERON]: {
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.POWER);
      return v.ok ? fail(v.value.poweron(a[1]!, a[2]!, a[3]!)) : fail(v.error);
    },
  },
  [Call.VCPU_POWEROFF]: {
    res0: [2],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.POWER);
      if (!v.ok) return fail(v.error);
      if ((a[1]! & ~1n) !== 0n) return fail(HypError.ARGUMENT_INVALID);
      // Gunyah: a vCPU can only power itself off (others are stopped with vcpu_kill).
      if ((v.value as CallerContext) !== c) return fail(HypError.ARGUMENT_INVALID);
      return fail(v.value.poweroff(a[1]!));
    },
  },
  [Call.VCPU_KILL]: {
    res0: [1],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.LIFECYCLE);
      return v.ok ? fail(v.value.kill()) : fail(v.error);
    },
  },
  [Call.VCPU_SET_PRIORITY]: {
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.PRIORITY, false);
      return v.ok ? fail(v.value.setPriority(a[1]!)) : fail(v.error);
    },
  },
  [Call.VCPU_SET_TIMESLICE]: {
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.TIMESLICE, false);
      return v.ok ? fail(v.value.setTimeslice(a[1]!)) : fail(v.error);
    },
  },
  [Call.VCPU_REGISTER_WRITE]: {
    res0: [4],
    fn: (_k, c, a) => {
      // Any state: the boot context may be written before activation too.
      const v = vcpu(c, a[0]!, Rights.thread.WRITE_CONTEXT, false);
      return v.ok ? fail(v.value.registerWrite(a[1]!, a[2]!, a[3]!)) : fail(v.error);
    },
  },
  [Call.VCPU_BIND_VIRQ]: {
    res0: [4],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.BIND_VIRQ, false);
      if (!v.ok) return fail(v.error);
      const vic = lookup<Vic>(c, a[1]!, "vic", Rights.vic.BIND_SOURCE);
      if (!vic.ok) return fail(vic.error);
      return fail(v.value.bindVirq(vic.value, a[2]!, a[3]!));
    },
  },
  [Call.VCPU_UNBIND_VIRQ]: {
    res0: [2],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.BIND_VIRQ, false);
      if (!v.ok) return fail(v.error);
      const binding = v.value.binding(a[1]!);
      return binding ? fail(binding.unbind()) : fail(HypError.ARGUMENT_INVALID);
    },
  },
  [Call.VCPU_RUN]: {
    res0: [4],
    fn: (_k, c, a) => {
      // Gunyah: vcpu_run needs the affinity and yield_to rights.
      const v = vcpu(c, a[0]!, Rights.thread.AFFINITY | Rights.thread.YIELD_TO);
      if (!v.ok) return fail(v.error);
      const r = runVcpu(v.value, a[1]!, a[2]!);
      return r.ok ? runOut(r.value) : fail(r.error);
    },
  },
  [Call.VCPU_RUN_CHECK]: {
    res0: [1],
    fn: (_k, c, a) => {
      const v = vcpu(c, a[0]!, Rights.thread.BIND_VIRQ | Rights.thread.STATE);
      if (!v.ok) return fail(v.error);
      const r = checkVcpu(v.value);
      return r.ok ? runOut(r.value) : fail(r.error);
    },
  },
  [Call.VPM_GROUP_ATTACH_VCPU]: {
    res0: [3],
    fn: (_k, c, a) => {
      const g = lookup<VpmGroup>(c, a[0]!, "vpm_group", Rights.vpm_group.ATTACH_VCPU);
      if (!g.ok) return fail(g.error);
      const v = vcpu(c, a[1]!, 0, false);
      if (!v.ok) return fail(v.error);
      if (a[2]! > 0xffffn) return fail(HypError.ARGUMENT_INVALID);
      return fail(v.value.attachVpm(g.value, Number(a[2]!)));
    },
  },
  [Call.VPM_GROUP_BIND_VIRQ]: {
    res0: [3],
    fn: (_k, c, a) => {
      const g = lookup<VpmGroup>(c, a[0]!, "vpm_group", Rights.vpm_group.BIND_VIRQ);
      if (!g.ok) return fail(g.error);
      const vic = lookup<Vic>(c, a[1]!, "vic", Rights.vic.BIND_SOURCE);
      if (!vic.ok) return fail(vic.error);
      if (a[2]! > 0xffff_ffffn) return fail(HypError.ARGUMENT_INVALID);
      return fail(g.value.virq.bind(vic.value, Number(a[2]!)));
    },
  },
  [Call.VPM_GROUP_UNBIND_VIRQ]: {
    res0: [1],
    fn: (_k, c, a) => {
      const g = lookup<VpmGroup>(c, a[0]!, "vpm_group", Rights.vpm_group.BIND_VIRQ);
      return g.ok ? fail(g.value.virq.unbind()) : fail(g.error);
    },
  },
  [Call.VPM_GROUP_GET_STATE]: {
    res0: [1],
    fn: (_k, c, a) => {
      const g = lookup<VpmGroup>(c, a[0]!, "vpm_group", Rights.vpm_group.QUERY);
      return g.ok ? done(HypError.OK, BigInt(g.value.powerState())) : fail(g.error);
    },
  },
};
