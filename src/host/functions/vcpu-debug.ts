// gunyah-ts debug extension of the host API (not in Linux's v17 driver): what KVM gives
// a debugger through KVM_GET_ONE_REG / KVM_SET_ONE_REG, KVM_SET_GUEST_DEBUG and guest
// memory access, over the hypervisor's debug calls (hyp/abi/debug.ts). A VMM's GDB
// stub uses it while the vCPU is stopped (not inside run()); a stopped vCPU's run()
// returns the `debug` exit. Memory goes by guest virtual address through the vCPU's
// current translation; a guest page not yet demand-paged is provided first, as the
// guest's own first access would.

import { DebugMemStatus, DebugOp, RES0 } from "../../hyp/abi/index.js";
import { ok } from "../../lib/result.js";
import { fail, type HostResult } from "../errors.js";
import type { HostHypercalls } from "../hypercalls.js";
import type { VmContext } from "../vm-context.js";

/** What to arm (all vCPUs of a VM usually get the same, except the step). */
export interface GuestDebugConfig {
  readonly breakpoints: readonly bigint[];
  readonly watchpoints: readonly {
    readonly address: bigint;
    readonly length: number;
    readonly read: boolean;
    readonly write: boolean;
  }[];
  readonly step: boolean;
}

/** Largest read or write in one call (the stub's packets are bounded well below). */
export const MAX_DEBUG_ACCESS = 64 * 1024;

export class VcpuDebug {
  /** @internal */
  constructor(
    private readonly ctx: VmContext,
    private readonly cap: () => bigint | undefined,
  ) {}

  private call(
    name: Parameters<HostHypercalls["debugCall"]>[0],
    args: readonly bigint[],
  ): HostResult<readonly bigint[]> {
    const cap = this.cap();
    if (cap === undefined) return fail("ENODEV", "the vCPU has no hypervisor resource");
    return this.ctx.hyp.debugCall(name, [cap, ...args]);
  }

  /** A register by GDB's AArch64 number (X0-X30 0..30, SP 31, PC 32, CPSR 33, V 34..65, FPSR 66, FPCR 67). */
  readRegister(reg: number): HostResult<bigint> {
    const r = this.call("VCPU_DEBUG_REG_READ", [BigInt(reg), RES0]);
    return r.ok ? ok(((r.value[1] ?? 0n) << 64n) | (r.value[0] ?? 0n)) : r;
  }

  writeRegister(reg: number, value: bigint): HostResult<void> {
    const mask = (1n << 64n) - 1n;
    const r = this.call("VCPU_DEBUG_REG_WRITE", [
      BigInt(reg),
      value & mask,
      (value >> 64n) & mask,
      RES0,
    ]);
    return r.ok ? ok(undefined) : r;
  }

  /** Reads guest virtual memory; EFAULT if any byte has no translation. */
  readMemory(va: bigint, length: number): HostResult<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_DEBUG_ACCESS)
      return fail("EINVAL", `read of ${length} bytes`);
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const n = Math.min(16, length - done);
      const r = this.pagedCall("VCPU_DEBUG_MEM_READ", [
        BigInt.asUintN(64, va + BigInt(done)),
        BigInt(n),
        RES0,
      ]);
      if (!r.ok) return r;
      const [lo = 0n, hi = 0n] = r.value;
      for (let i = 0; i < n; i++)
        out[done + i] = Number(((i < 8 ? lo : hi) >> BigInt(8 * (i % 8))) & 0xffn);
      done += n;
    }
    return ok(out);
  }

  /** Writes guest virtual memory, 8 bytes at a time; EFAULT where a byte has no translation. */
  writeMemory(va: bigint, data: Uint8Array): HostResult<void> {
    if (data.length > MAX_DEBUG_ACCESS) return fail("EINVAL", `write of ${data.length} bytes`);
    for (let done = 0; done < data.length;) {
      const n = Math.min(8, data.length - done);
      let value = 0n;
      for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[done + i]!);
      const r = this.pagedCall("VCPU_DEBUG_MEM_WRITE", [
        BigInt.asUintN(64, va + BigInt(done)),
        BigInt(n),
        value,
        RES0,
      ]);
      if (!r.ok) return r;
      done += n;
    }
    return ok(undefined);
  }

  /** A memory call; a NOT_PRESENT page is demand-paged (once) and the call retried. */
  private pagedCall(
    name: "VCPU_DEBUG_MEM_READ" | "VCPU_DEBUG_MEM_WRITE",
    args: bigint[],
  ): HostResult<readonly bigint[]> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = this.call(name, args);
      if (!r.ok)
        return r.error.code === "EINVAL" || r.error.code === "EFAULT"
          ? fail("EFAULT", "no translation for that address")
          : r;
      if (r.value[0] !== BigInt(DebugMemStatus.NOT_PRESENT)) return ok(r.value.slice(1));
      const ipa = Number(r.value[1] ?? -1n);
      const binding = Number.isSafeInteger(ipa) ? this.ctx.findBinding(ipa) : undefined;
      if (!binding) return fail("EFAULT", "the address is not guest RAM");
      const p = this.ctx.pager.provide(ipa, binding);
      if (!p.ok && p.error.code !== "EAGAIN") return p;
    }
    return fail("EFAULT", "guest page could not be provided");
  }

  /** Replaces everything armed on this vCPU (KVM_SET_GUEST_DEBUG's role). */
  configure(config: GuestDebugConfig): HostResult<void> {
    const ops: bigint[][] = [[BigInt(DebugOp.CLEAR), 0n, 0n, 0n]];
    for (const b of config.breakpoints)
      ops.push([BigInt(DebugOp.BREAKPOINT_ADD), BigInt.asUintN(64, b), 0n, 0n]);
    for (const w of config.watchpoints)
      ops.push([
        BigInt(DebugOp.WATCHPOINT_ADD),
        BigInt.asUintN(64, w.address),
        BigInt(w.length),
        BigInt((w.read ? 1 : 0) | (w.write ? 2 : 0)),
      ]);
    ops.push([BigInt(DebugOp.STEP), config.step ? 1n : 0n, 0n, 0n]);
    for (const op of ops) {
      const r = this.call("VCPU_DEBUG_CONFIGURE", op);
      if (!r.ok) return r;
    }
    return ok(undefined);
  }
}
