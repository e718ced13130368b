// The VCPU function (Linux v17 gunyah_vcpu_bind/unbind/compare): `{ u32 id }` binds a
// vCPU to the VM's VIRTUAL_CPU resource with label `id` and returns its handle, which
// holds a reference to the VM.

import { layout, u32 } from "../../lib/layout.js";
import { ok } from "../../lib/result.js";
import { fail, type HostResult } from "../errors.js";
import { u32Arg } from "./args.js";
import type { VmContext } from "../vm-context.js";
import { FunctionTypeId, type BoundFunction, type FunctionType } from "./registry.js";
import { Vcpu } from "./vcpu.js";

/** GUNYAH_FN_VCPU argument. */
export const VcpuArg = layout({ id: u32 });

/** The argument bytes for vCPU `id`; EINVAL unless `id` is a u32 (no aliasing). */
export function encodeVcpuArg(id: unknown): HostResult<Uint8Array> {
  const checked = u32Arg("vcpu id", id);
  return checked.ok ? ok(VcpuArg.encode({ id: checked.value })) : checked;
}

/** The VCPU function type: `{ id }` -> a Vcpu handle. */
export function vcpuFunction(): FunctionType<VmContext> {
  return {
    id: FunctionTypeId.VCPU,
    name: "vcpu",
    bind(ctx, arg): HostResult<BoundFunction<VmContext>> {
      const decoded = VcpuArg.decodeExact(arg);
      if (!decoded) return fail("EINVAL", "VCPU argument must be exactly 4 bytes");
      const ref = ctx.acquire();
      if (!ref) return fail("ENODEV", "VM is being torn down");
      const vcpu = new Vcpu(decoded.id, ctx, ref);
      const added = ctx.tickets.add(vcpu.ticket);
      if (!added.ok) {
        vcpu.unbind();
        vcpu.close();
        return added;
      }
      return ok({
        value: vcpu,
        unbind(host) {
          host.tickets.remove(vcpu.ticket);
          vcpu.unbind();
        },
      });
    },
    compare(a, b) {
      const x = VcpuArg.decodeExact(a);
      const y = VcpuArg.decodeExact(b);
      return x !== undefined && y !== undefined && x.id === y.id;
    },
  };
}
