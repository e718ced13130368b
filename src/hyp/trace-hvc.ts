// Tracing of every call that reaches the SMCCC dispatcher: Gunyah hypercalls by their
// `.hvc` names with decoded inputs and outputs (abi/call-info.ts) and their error by
// name; PSCI calls (the guest's power management, category "exit") by their PSCI
// names; the SMCCC architecture and vendor service calls by theirs. Called only when
// the tracer is on, so the dispatcher's untraced path stays as it was.

import { callInfo, formatRegister } from "./abi/call-info.js";
import { hypErrorFromX0, hypErrorName } from "./abi/errors.js";
import { VcpuRunState } from "./abi/objects.js";
import type { HypercallResult } from "./abi/port.js";
import { hex, TraceCat, type TraceArgs, type Tracer } from "../lib/trace.js";
import type { CallerContext } from "./context.js";
import { PsciFn } from "./psci.js";

const PSCI_NAMES = new Map<number, string>(Object.entries(PsciFn).map(([k, v]) => [v, k]));
const RUN_STATE_NAMES = new Map<number, string>(
  Object.entries(VcpuRunState).map(([k, v]) => [v, k]),
);
const ARCH_NAMES: Readonly<Record<number, string>> = {
  0x8000_0000: "SMCCC_VERSION",
  0x8000_0001: "SMCCC_ARCH_FEATURES",
  0x8600_ff01: "SMCCC_VENDOR_HYP_CALL_UID",
  0x8600_ff03: "SMCCC_VENDOR_HYP_REVISION",
};

const TRNG_NAMES: Readonly<Record<number, string>> = {
  0x50: "TRNG_VERSION",
  0x51: "TRNG_FEATURES",
  0x52: "TRNG_GET_UUID",
  0x53: "TRNG_RND",
};

interface Named {
  readonly cat: TraceCat;
  readonly name: string;
  /** The Gunyah call number, for decoding registers. */
  readonly call?: number;
}

function nameCall(fid: number): Named {
  const owner = (fid >>> 24) & 0x3f;
  if (owner === 6 && (fid & 0xc000) === 0x8000 && ((fid >>> 16) & 0xff) === 0) {
    const call = fid & 0x3fff;
    return { cat: TraceCat.HVC, name: callInfo(call)?.name ?? `hvc_${hex(call)}`, call };
  }
  if (owner === 4) {
    // PSCI (DEN0022) and, in the same standard-service range, Arm TRNG (DEN0098).
    const psci = PSCI_NAMES.get(fid & 0xffff);
    const name = psci?.startsWith("PSCI_")
      ? psci
      : psci
        ? `PSCI_${psci}`
        : TRNG_NAMES[fid & 0xffff];
    return { cat: TraceCat.EXIT, name: name ?? `smccc_std_${hex(fid)}` };
  }
  return { cat: TraceCat.HVC, name: ARCH_NAMES[fid] ?? `smccc_${hex(fid)}` };
}

/** Runs `call` inside a traced slice on the caller's (VM, vCPU) track. */
export function traceHypercall(
  tracer: Tracer,
  c: CallerContext,
  functionId: number,
  args: readonly unknown[],
  call: () => HypercallResult,
): HypercallResult {
  const fid = functionId >>> 0;
  const named = nameCall(fid);
  if (!tracer.enabled(named.cat)) return call();
  const [pid, tid] = c.traceIdentity?.() ?? [0, 0];
  const start = tracer.now();
  const out = call();
  tracer.complete(named.cat, named.name, pid, tid, start, decode(named, fid, args, out));
  return out;
}

function decode(
  named: Named,
  fid: number,
  args: readonly unknown[],
  out: HypercallResult,
): TraceArgs {
  const a: TraceArgs = { fid: hex(fid) };
  const reg = (i: number) => (typeof args[i] === "bigint" ? BigInt.asUintN(64, args[i]) : 0n);
  const info = named.call === undefined ? undefined : callInfo(named.call);
  if (!info) {
    for (let i = 0; i < 3; i++) a[`x${i + 1}`] = hex(reg(i));
    a.x0_out = hex(out[0]);
    return a;
  }
  info.inputs.forEach((name, i) => (a[name] = formatRegister(name, reg(i))));
  // hypervisor_identify returns its API info in X0; every other call an error.
  const outputs = named.call === 0 ? out : out.slice(1);
  if (named.call !== 0) {
    const code = hypErrorFromX0(out[0]);
    a.error = hypErrorName(code);
    if (code !== 0) return a;
  }
  info.outputs.forEach((name, i) => {
    const v = outputs[i] ?? 0n;
    a[`out_${name}`] =
      name === "vcpu_state"
        ? (RUN_STATE_NAMES.get(Number(v)) ?? Number(v))
        : formatRegister(name, v);
  });
  return a;
}
