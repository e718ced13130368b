// Tracing of vCPU run slices (category "exit"): each slice of vcpu_run is a duration
// on the vCPU's track (pid = VMID, tid = vCPU index) with the instructions it retired
// and why it stopped, followed by an instant naming the exit the host gets (VMMIO
// read/write with its IPA, page fault, WFI or CPU_SUSPEND, power off, fault).

import { VcpuRunState } from "./abi/objects.js";
import { hex, TraceCat, type TraceArgs, type Tracer } from "../lib/trace.js";
import type { Vcpu } from "./vcpu.js";

/** vcpu_run's answer (vcpu-run.ts's RunResult; declared here to keep imports one-way). */
interface RunResult {
  readonly state: number;
  readonly data: readonly [bigint, bigint, bigint];
}

const STATE_NAMES = new Map<number, string>(Object.entries(VcpuRunState).map(([k, v]) => [v, k]));

export function traceSlice(tracer: Tracer, v: Vcpu, run: () => RunResult): RunResult {
  if (!tracer.enabled(TraceCat.EXIT) && !tracer.enabled(TraceCat.MEM)) return run();
  const [pid, tid] = v.traceIdentity();
  tracer.nameThread(pid, tid, `vCPU ${tid}`);
  const before = v.cpu?.instructionsRetired ?? 0;
  const start = tracer.now();
  const r = run();
  const state = STATE_NAMES.get(r.state) ?? String(r.state);
  const retired = (v.cpu?.instructionsRetired ?? before) - before;
  const exit = exitOf(r);
  if (tracer.enabled(TraceCat.EXIT)) {
    tracer.complete(TraceCat.EXIT, "run", pid, tid, start, { state, instructions: retired });
    if (exit) tracer.instant(TraceCat.EXIT, exit.name, pid, tid, exit.args);
  }
  // A page fault is the host's demand pager's cue: memory's view of the same exit.
  if (exit && r.state === VcpuRunState.ADDRSPACE_PAGE_FAULT && tracer.enabled(TraceCat.MEM))
    tracer.instant(TraceCat.MEM, "demand_page_fault", pid, tid, exit.args);
  return r;
}

function exitOf(r: RunResult): { name: string; args: TraceArgs } | undefined {
  const [d0, d1, d2] = r.data;
  switch (r.state) {
    case VcpuRunState.ADDRSPACE_VMMIO_READ:
      return { name: "vmmio_read", args: { ipa: hex(d0), size: Number(d1) } };
    case VcpuRunState.ADDRSPACE_VMMIO_WRITE:
      return { name: "vmmio_write", args: { ipa: hex(d0), size: Number(d1), value: hex(d2) } };
    case VcpuRunState.ADDRSPACE_PAGE_FAULT:
      return {
        name: "page_fault",
        args: { ipa: hex(d0), write: (d1 & 1n) !== 0n, fetch: (d1 & 2n) !== 0n },
      };
    case VcpuRunState.EXPECTS_WAKEUP:
      return { name: d1 === 2n ? "cpu_suspend" : "wfi", args: {} };
    case VcpuRunState.POWERED_OFF:
      return { name: "powered_off", args: { exited: (d0 & 1n) !== 0n } };
    case VcpuRunState.FAULT:
      return { name: "fault", args: { ipa: hex(d0), pc: hex(d1), reason: Number(d2) } };
    case VcpuRunState.PSCI_SYSTEM_RESET:
      return { name: "system_reset", args: { data0: hex(d0) } };
    default:
      return undefined;
  }
}
