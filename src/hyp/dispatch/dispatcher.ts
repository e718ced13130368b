// The SMCCC dispatcher: every HVC (a native VM's port or a guest's HVC #0/SMC #0)
// comes here. Function-ID decode (SMCCC 1.1, DEN0028): bit 31 fast, bit 30 SMC64,
// bits 29:24 owner, bits 15:0 function. Gunyah hypercalls are fast SMC64 vendor-hyp
// calls with class 0b10 in bits 15:14; anything else of the vendor-hyp owner but the
// UID/revision service calls is "unknown" (-1). PSCI (owner 4) is answered by the
// calling vCPU; the Arm architecture calls (owner 0) SMCCC_VERSION/ARCH_FEATURES here.

import {
  Call,
  GUNYAH_UID,
  SMCCC_VENDOR_HYP_CALL_UID,
  SMCCC_VENDOR_HYP_REVISION,
} from "../abi/calls.js";
import { HypError } from "../abi/errors.js";
import type { HypercallResult } from "../abi/port.js";
import { U64_MAX } from "../../lib/checked.js";
import type { CallerContext } from "../context.js";
import type { Kernel } from "../kernel.js";
import { cspaceHandlers } from "./cspace.js";
import { API_INFO, identifyHandlers } from "./identify.js";
import { memoryHandlers } from "./memory.js";
import { messagingHandlers } from "./messaging.js";
import { partitionHandlers } from "./partition.js";
import { vrtcHandlers } from "./vrtc.js";
import type { HandlerSpec, HandlerTable } from "./types.js";
import { traceHypercall } from "../trace-hvc.js";

export const SMCCC_VERSION = 0x8000_0000;
export const SMCCC_ARCH_FEATURES = 0x8000_0001;
/** SMCCC v1.1: Linux then uses HVC for the Spectre workaround queries. */
export const SMCCC_VERSION_1_1 = 0x1_0001n;
const OWNER_ARCH = 0;
const OWNER_STANDARD = 4;
const OWNER_VENDOR_HYP = 6;
const UNKNOWN = U64_MAX; // SMCCC "not supported" (-1)

export class Dispatcher {
  private readonly table = new Map<number, HandlerSpec>();

  constructor(
    private readonly kernel: Kernel,
    extra: readonly HandlerTable[] = [],
  ) {
    for (const t of [
      identifyHandlers,
      partitionHandlers,
      cspaceHandlers,
      memoryHandlers,
      messagingHandlers,
      vrtcHandlers,
      ...extra,
    ])
      for (const [n, spec] of Object.entries(t)) this.table.set(Number(n), spec);
  }

  get callNumbers(): number[] {
    return [...this.table.keys()].sort((a, b) => a - b);
  }

  dispatch(c: CallerContext, functionId: number, rawArgs: readonly unknown[]): HypercallResult {
    const tracer = this.kernel.tracer;
    if (tracer === undefined) return this.dispatchCall(c, functionId, rawArgs);
    const fid = Number.isInteger(functionId) ? functionId : 0;
    return traceHypercall(tracer, c, fid, rawArgs, () => this.dispatchCall(c, functionId, rawArgs));
  }

  private dispatchCall(
    c: CallerContext,
    functionId: number,
    rawArgs: readonly unknown[],
  ): HypercallResult {
    const fid = Number.isInteger(functionId) ? functionId >>> 0 : 0;
    const args: bigint[] = [];
    for (let i = 0; i < 7; i++) {
      const v = rawArgs[i];
      args.push(typeof v === "bigint" ? BigInt.asUintN(64, v) : 0n);
    }
    const fast = (fid & 0x8000_0000) !== 0;
    const smc64 = (fid & 0x4000_0000) !== 0;
    const owner = (fid >>> 24) & 0x3f;
    if (!fast) return result([UNKNOWN]);
    switch (owner) {
      case OWNER_VENDOR_HYP:
        return this.vendorHyp(c, fid, smc64, args);
      case OWNER_STANDARD:
        return c.psci ? result(c.psci.psci(fid, args)) : result([UNKNOWN]);
      case OWNER_ARCH:
        return result(this.arch(fid, args));
      default:
        return result([UNKNOWN]);
    }
  }

  private vendorHyp(
    c: CallerContext,
    fid: number,
    smc64: boolean,
    args: bigint[],
  ): HypercallResult {
    if (fid === SMCCC_VENDOR_HYP_CALL_UID) return result(GUNYAH_UID.map((w) => BigInt(w)));
    if (fid === SMCCC_VENDOR_HYP_REVISION) return result([1n, 0n]);
    const fn = fid & 0xffff;
    // Bits 23:16 are zero in every SMCCC fast call; Gunyah's class is bits 15:14 = 0b10.
    if (!smc64 || ((fid >>> 16) & 0xff) !== 0 || (fn & 0xc000) !== 0x8000) return result([UNKNOWN]);
    const callNumber = fn & 0x3fff;
    const spec = this.table.get(callNumber);
    if (!spec) return errorResult(HypError.UNIMPLEMENTED);
    for (const i of spec.res0 ?? [])
      if (args[i] !== 0n) return errorResult(HypError.ARGUMENT_INVALID);
    for (const i of spec.res1 ?? [])
      if (args[i] !== U64_MAX) return errorResult(HypError.ARGUMENT_INVALID);
    const [code, ...values] = spec.fn(this.kernel, c, args);
    if (callNumber === Call.HYPERVISOR_IDENTIFY) return result([API_INFO, ...values]);
    return result([BigInt.asUintN(64, BigInt(code)), ...values]);
  }

  private arch(fid: number, args: bigint[]): bigint[] {
    if (fid === SMCCC_VERSION) return [SMCCC_VERSION_1_1];
    if (fid === SMCCC_ARCH_FEATURES) {
      // Only the two discovery calls exist; Spectre workarounds are "not required" is
      // not claimed: they are reported as not supported (-1), as on a host without
      // firmware mitigation.
      const q = Number(args[0]! & 0xffff_ffffn);
      return q === SMCCC_VERSION || q === SMCCC_ARCH_FEATURES ? [0n] : [UNKNOWN];
    }
    return [UNKNOWN];
  }
}

function errorResult(code: number): HypercallResult {
  return result([BigInt.asUintN(64, BigInt(code))]);
}

function result(values: readonly bigint[]): HypercallResult {
  return [values[0] ?? 0n, values[1] ?? 0n, values[2] ?? 0n, values[3] ?? 0n, ...values.slice(4)];
}
