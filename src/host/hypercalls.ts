// The host driver's hypercall wrappers (Linux's gunyah_hypercall_* helpers): typed
// arguments in, a Result out. Every call goes through one place so a test can inject
// a failure at any hypercall and check that the caller releases what it took.

import { Call, hypercallId, hypErrorFromX0, HypError, RES0 } from "../hyp/abi/index.js";
import type { HypercallPort } from "../hyp/abi/index.js";
import { ok } from "../lib/result.js";
import { fromHypError, type HostResult } from "./errors.js";

type CallName = keyof typeof Call;

/** Returns a hypervisor error code to fail the call with, or undefined to let it run. */
export type HypercallInjector = (call: CallName, args: readonly bigint[]) => number | undefined;

/** vcpu_run's answer: the vCPU state (X1) and its three data words (X2..X4). */
export interface VcpuRunResponse {
  readonly state: bigint;
  readonly data: readonly [bigint, bigint, bigint];
}

export class HostHypercalls {
  /** Test-only: fault injection, consulted before every hypercall. */
  injector: HypercallInjector | undefined;

  constructor(private readonly port: HypercallPort) {}

  private call(name: CallName, args: readonly bigint[]): HostResult<readonly bigint[]> {
    const injected = this.injector?.(name, args);
    if (injected !== undefined && injected !== HypError.OK) {
      return { ok: false, error: fromHypError(injected, name.toLowerCase()) };
    }
    // HypercallResult names X0..X3; vcpu_run also returns X4 (data2), which a port
    // may append (gunyah-abi.md section 1: "-> err, state, data0..2").
    const regs: readonly bigint[] = this.port.hvc(hypercallId(Call[name]), args);
    const code = hypErrorFromX0(regs[0] ?? 0n);
    if (code !== HypError.OK) return { ok: false, error: fromHypError(code, name.toLowerCase()) };
    return ok(regs.slice(1));
  }

  /** A gunyah-ts debug extension call (functions/vcpu-debug.ts): X1.. results or the error. */
  debugCall(
    name:
      | "VCPU_DEBUG_CONFIGURE"
      | "VCPU_DEBUG_REG_READ"
      | "VCPU_DEBUG_REG_WRITE"
      | "VCPU_DEBUG_MEM_READ"
      | "VCPU_DEBUG_MEM_WRITE",
    args: readonly bigint[],
  ): HostResult<readonly bigint[]> {
    return this.call(name, args);
  }

  /** hypervisor_identify: the raw API info word and flags0. */
  identify(): { apiInfo: bigint; flags0: bigint } {
    const [x0, x1] = this.port.hvc(hypercallId(Call.HYPERVISOR_IDENTIFY), []);
    return { apiInfo: x0, flags0: x1 };
  }

  /** doorbell_send: ORs `flags` into the doorbell; returns the old flags. */
  doorbellSend(doorbell: bigint, flags: bigint): HostResult<bigint> {
    const r = this.call("DOORBELL_SEND", [doorbell, flags, RES0]);
    return r.ok ? ok(r.value[0] ?? 0n) : r;
  }

  /** doorbell_mask: sets the enable and ack masks. */
  doorbellMask(doorbell: bigint, enable: bigint, ack: bigint): HostResult<void> {
    const r = this.call("DOORBELL_MASK", [doorbell, enable, ack, RES0]);
    return r.ok ? ok(undefined) : r;
  }

  /** msgqueue_send of `size` bytes at `bufIpa` (an IPA of the host's own RAM). */
  msgqSend(queue: bigint, size: number, bufIpa: number, push: boolean): HostResult<boolean> {
    const r = this.call("MSGQUEUE_SEND", [
      queue,
      BigInt(size),
      BigInt(bufIpa),
      push ? 1n : 0n,
      RES0,
    ]);
    return r.ok ? ok((r.value[0] ?? 0n) !== 0n) : r;
  }

  /** msgqueue_receive into `bufIpa`; returns the size and whether more is queued. */
  msgqReceive(
    queue: bigint,
    bufIpa: number,
    maxSize: number,
  ): HostResult<{ size: number; notEmpty: boolean }> {
    const r = this.call("MSGQUEUE_RECEIVE", [queue, BigInt(bufIpa), BigInt(maxSize), RES0]);
    if (!r.ok) return r;
    return ok({ size: Number(r.value[0] ?? 0n), notEmpty: (r.value[1] ?? 0n) !== 0n });
  }

  addrspaceMap(args: {
    addrspace: bigint;
    extent: bigint;
    vbase: bigint;
    attrs: bigint;
    flags: bigint;
    offset: bigint;
    size: bigint;
  }): HostResult<void> {
    const r = this.call("ADDRSPACE_MAP", [
      args.addrspace,
      args.extent,
      args.vbase,
      args.attrs,
      args.flags,
      args.offset,
      args.size,
    ]);
    return r.ok ? ok(undefined) : r;
  }

  addrspaceUnmap(args: {
    addrspace: bigint;
    extent: bigint;
    vbase: bigint;
    flags: bigint;
    offset: bigint;
    size: bigint;
  }): HostResult<void> {
    const r = this.call("ADDRSPACE_UNMAP", [
      args.addrspace,
      args.extent,
      args.vbase,
      args.flags,
      args.offset,
      args.size,
    ]);
    return r.ok ? ok(undefined) : r;
  }

  memextentDonate(args: {
    options: bigint;
    from: bigint;
    to: bigint;
    offset: bigint;
    size: bigint;
  }): HostResult<void> {
    const r = this.call("MEMEXTENT_DONATE", [
      args.options,
      args.from,
      args.to,
      args.offset,
      args.size,
      RES0,
    ]);
    return r.ok ? ok(undefined) : r;
  }

  /** vcpu_run with the three resume words of the previous exit. */
  vcpuRun(vcpu: bigint, resume: readonly [bigint, bigint, bigint]): HostResult<VcpuRunResponse> {
    const r = this.call("VCPU_RUN", [vcpu, resume[0], resume[1], resume[2], RES0]);
    if (!r.ok) return r;
    const [state = 0n, d0 = 0n, d1 = 0n, d2 = 0n] = r.value;
    return ok({ state, data: [d0, d1, d2] });
  }

  /** vcpu_run_check: the state without running (BUSY: the vCPU could run now). */
  /**
   * vcpu_run_check's bare error code, for a caller that polls it at every turn (the
   * turn scheduler asks whether each vCPU could run): the usual BUSY answer builds no
   * HostError, whose stack capture was 2.5 % of a 2-vCPU boot's profile.
   */
  vcpuRunCheckCode(vcpu: bigint): number {
    const args = [vcpu, RES0];
    const injected = this.injector?.("VCPU_RUN_CHECK", args);
    if (injected !== undefined && injected !== HypError.OK) return injected;
    return hypErrorFromX0(this.port.hvc(hypercallId(Call.VCPU_RUN_CHECK), args)[0] ?? 0n);
  }

  vcpuRunCheck(vcpu: bigint): HostResult<VcpuRunResponse> {
    const r = this.call("VCPU_RUN_CHECK", [vcpu, RES0]);
    if (!r.ok) return r;
    const [state = 0n, d0 = 0n, d1 = 0n, d2 = 0n] = r.value;
    return ok({ state, data: [d0, d1, d2] });
  }
}
