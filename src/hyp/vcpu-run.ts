// vcpu_run (0x65) for proxy-scheduled vCPUs: applies the host's answer to the last
// exit, then runs the CPU for a bounded slice and reports why it stopped
// (gunyah-abi.md section 2, "vcpu_run states"). Accesses to the virtual GIC's
// frames and to the vRTC's PL031 are emulated here and never reach the host; VMMIO ranges exit to the
// host; any other unmapped IPA is a page fault for the host's demand pager.

import { HypError } from "./abi/errors.js";
import { DEBUG_STOP_WRITE, DebugStopReason } from "./abi/debug.js";
import { MmioAction, POWERED_OFF_EXITED, VcpuFaultReason, VcpuRunState } from "./abi/objects.js";
import { err, ok, type Result } from "../lib/result.js";
import { RateLimitedLog } from "../lib/log.js";
import type { CpuExit, Stage2Abort } from "./cpu.js";
import { PAGE_SIZE } from "./physmem.js";
import type { Vcpu } from "./vcpu.js";
import { traceSlice } from "./trace-vcpu.js";
import { traceTimerOutputs } from "./trace-irq.js";

/**
 * Instructions per vcpu_run slice: long enough to amortise the call (about 1-2 ms of
 * guest time at today's speeds), short enough to stay responsive. A slice is not
 * restarted by exits to the host (MMIO, page faults): what is left carries over to
 * the next vcpu_run, so READY comes after RUN_SLICE instructions however often the
 * vCPU needs its VMM. That is the turn the host's deterministic scheduler gives each
 * vCPU (src/host/functions/vcpu-turns.ts). A vCPU spinning on a lock with WFE ends
 * its slice there when another vCPU could run (handleExit); before it did, it burned
 * the rest of the slice while the holder waited: the 2-vCPU bench boot (crypto
 * self-tests, --rtc-base fixed) retired 1,016,046,932 instructions in turns of
 * 200,000 and 966,839,991 in turns of 50,000 (free scheduling before: ~960 M).
 */
export const RUN_SLICE = 50_000;

export interface RunResult {
  readonly state: number;
  readonly data: readonly [bigint, bigint, bigint];
}

const log = new RateLimitedLog("hyp: vcpu");

/**
 * PSCI_SYSTEM_RESET data as Gunyah's psci_handle_vcpu_run_check gives it: SYSTEM_RESET
 * sets data0 bit 63; SYSTEM_RESET2 gives its reset type in data0 bits 31:0 (bit 62 set
 * for the SMC64 call) and the cookie in data1.
 */
function resetState(r: { kind: number; type: bigint; cookie: bigint; smc64: boolean }): RunResult {
  if (r.kind === 0) return state(VcpuRunState.PSCI_SYSTEM_RESET, 1n << 63n);
  const data0 = (r.type & 0xffff_ffffn) | (r.smc64 ? 1n << 62n : 0n);
  return state(VcpuRunState.PSCI_SYSTEM_RESET, data0, r.cookie);
}

/** EXPECTS_WAKEUP data1: what the vCPU sleeps in (data0: CPU_SUSPEND's power_state). */
export const WakeupFromState = { WFI: 1n, PSCI_CPU_SUSPEND: 2n } as const;

function sleepState(v: Vcpu): RunResult {
  return v.sleep === 1
    ? state(VcpuRunState.EXPECTS_WAKEUP, v.suspendPowerState, WakeupFromState.PSCI_CPU_SUSPEND)
    : state(VcpuRunState.EXPECTS_WAKEUP, 0n, WakeupFromState.WFI);
}

function state(s: number, d0 = 0n, d1 = 0n, d2 = 0n): RunResult {
  return { state: s, data: [d0, d1, d2] };
}

/** What the host learns without running the vCPU (also vcpu_run_check). */
export function vcpuStatus(v: Vcpu): RunResult | undefined {
  if (v.killed) return state(VcpuRunState.POWERED_OFF, POWERED_OFF_EXITED);
  if (v.reset) return resetState(v.reset);
  if (v.faulted) return state(VcpuRunState.FAULT, ...v.faultData);
  if (!v.on) return state(VcpuRunState.POWERED_OFF, v.exited ? POWERED_OFF_EXITED : 0n);
  if (v.pending) return exitState(v.pending.kind, v.pending.abort);
  return undefined;
}

/**
 * vcpu_run_check: the state without running. Like Gunyah, a vCPU that could run right
 * now (or is running) gives BUSY rather than a state.
 */
export function checkVcpu(v: Vcpu): Result<RunResult, number> {
  if (v.running) return err(HypError.BUSY);
  const s = vcpuStatus(v);
  if (s) return ok(s);
  if (v.sleep !== undefined && !v.woken) return ok(sleepState(v));
  return err(HypError.BUSY);
}

export function runVcpu(
  v: Vcpu,
  resume0: bigint,
  resume1: bigint,
  slice = RUN_SLICE,
): Result<RunResult, number> {
  // As in Gunyah's hypercall_vcpu_run: not proxy-scheduled, or being run: BUSY.
  if (!v.proxyScheduled || v.running) return err(HypError.BUSY);
  const r = resume(v, resume0, resume1);
  if (r !== HypError.OK) return err(r);
  const early = vcpuStatus(v);
  if (early) return ok(early);
  // Hold a reference: a hypercall made by the guest during the slice must not be able
  // to destroy the vCPU under its own run loop.
  v.get();
  v.running = true;
  try {
    const tracer = v.services.tracer;
    return ok(tracer ? traceSlice(tracer, v, () => runSlice(v, slice)) : runSlice(v, slice));
  } finally {
    v.running = false;
    v.services.clock.poll();
    v.vpm?.update();
    v.put();
  }
}

/** Applies resume1 (EMULATE / RETRY / FAULT) to the exit the host was given. */
function resume(v: Vcpu, value: bigint, action: bigint): number {
  const p = v.pending;
  const cpu = v.cpu;
  if (!p || !cpu) return HypError.OK;
  if (action > BigInt(MmioAction.FAULT)) return HypError.ARGUMENT_INVALID;
  v.pending = undefined;
  const a = Number(action);
  if (a === MmioAction.FAULT) {
    // The host's FAULT answer (GUNYAH_VCPU_RESUME_FAULT): a synchronous external abort,
    // through the same guard as our own injections, so a vector that is itself
    // unbacked makes the vCPU FAULT (vcpuStatus reports it) instead of looping.
    injectAbort(v, p.abort);
  } else if (a === MmioAction.EMULATE && p.kind === "mmio") {
    if (p.abort.isWrite) cpu.completeMmio();
    else cpu.completeMmioRead(value & sizeMask(p.abort.size));
  }
  // RETRY (and EMULATE of a page fault): the instruction runs again.
  return HypError.OK;
}

function sizeMask(size: number): bigint {
  return size >= 8 ? (1n << 64n) - 1n : (1n << BigInt(size * 8)) - 1n;
}

function exitState(kind: "mmio" | "page-fault", a: Stage2Abort): RunResult {
  const ipa = BigInt(a.ipa);
  if (kind === "page-fault")
    return state(
      VcpuRunState.ADDRSPACE_PAGE_FAULT,
      ipa,
      BigInt((a.isWrite ? 1 : 0) | (a.isFetch ? 2 : 0)),
    );
  return a.isWrite
    ? state(VcpuRunState.ADDRSPACE_VMMIO_WRITE, ipa, BigInt(a.size), a.value & sizeMask(a.size))
    : state(VcpuRunState.ADDRSPACE_VMMIO_READ, ipa, BigInt(a.size));
}

/** An interrupt that would wake WFI is pending (GIC-enabled, whatever PSTATE masks). */
function interruptPending(v: Vcpu): boolean {
  const cpu = v.cpu!;
  const gic = v.gic;
  if (!gic) return cpu.timerOutputs() !== 0;
  gic.setTimerOutputs(v.vicIndex, cpu.timerOutputs());
  return gic.hasPending(v.vicIndex);
}

function runSlice(v: Vcpu, slice: number): RunResult {
  let left = v.sliceLeft > 0 ? Math.min(v.sliceLeft, slice) : slice;
  const r = runFor(v, left, (used) => (left -= used));
  // READY or asleep: the next vcpu_run starts a fresh slice; any other exit keeps the rest.
  v.sliceLeft =
    r.state === VcpuRunState.READY || r.state === VcpuRunState.EXPECTS_WAKEUP ? 0 : left;
  return r;
}

/** Runs up to `slice` instructions, telling `spend` what each CPU run used. */
function runFor(v: Vcpu, slice: number, spend: (used: number) => void): RunResult {
  const cpu = v.cpu!;
  const clock = v.services.clock;
  let left = slice;
  while (true) {
    if (v.sleep !== undefined) {
      if (!interruptPending(v)) {
        v.woken = false;
        v.vpm?.update();
        clock.wait(v, cpu.nextTimerDeadline());
        return sleepState(v);
      }
      v.sleep = undefined;
      v.woken = false;
      clock.cancel(v);
    }
    if (left <= 0) return state(VcpuRunState.READY);
    const budget = clock.budgetUntil(cpu.nextTimerDeadline(), left);
    const before = cpu.instructionsRetired;
    let exit: CpuExit;
    try {
      exit = cpu.run(budget);
    } catch (e) {
      // A CPU bug reached by guest code must not take the host down: the vCPU faults.
      log.warn(`vCPU ${v.vicIndex} faulted: ${e instanceof Error ? e.message : String(e)}`);
      v.markFaulted(VcpuFaultReason.INTERNAL, 0n, BigInt(cpu.pc));
      return state(VcpuRunState.FAULT, ...v.faultData);
    }
    const used = Math.max(1, cpu.instructionsRetired - before);
    left -= used;
    spend(used);
    v.gic?.setTimerOutputs(v.vicIndex, cpu.timerOutputs());
    if (v.services.tracer)
      traceTimerOutputs(v.services.tracer, v, cpu.timerOutputs(), () => v.traceIdentity());
    clock.poll();
    const reported = handleExit(v, exit);
    if (reported) return reported;
    const stopped = vcpuStatus(v);
    if (stopped) return stopped;
  }
}

function handleExit(v: Vcpu, exit: CpuExit): RunResult | undefined {
  const cpu = v.cpu!;
  // A stage-2 abort is counted by what it turns out to be (handleAbort).
  if (exit.kind !== "stage2-abort") v.counters?.count(exit.kind);
  switch (exit.kind) {
    case "budget":
      return undefined;
    case "hvc":
    case "smc": {
      const args: bigint[] = [];
      for (let i = 1; i <= 7; i++) args.push(cpu.getX(i));
      const fid = Number(cpu.getX(0) & 0xffff_ffffn);
      const out = v.services.hvc(v, fid, args);
      for (let i = 0; i < 4; i++) cpu.setX(i, out[i] ?? 0n);
      return undefined;
    }
    case "wfi":
      v.sleep = 0;
      return undefined;
    case "wfe":
      // A spin-wait: what it waits for needs another vCPU to run, so the slice ends
      // (READY) when one could; the host's turn then goes to it. Else WFE was a NOP.
      return v.siblings().some((s) => s !== v && checkVcpu(s).ok === false)
        ? state(VcpuRunState.READY)
        : undefined;
    case "stage2-abort":
      return handleAbort(v, exit.abort);
    case "debug": {
      // gunyah-ts debug extension (abi/debug.ts): the host's debugger stops here.
      const s = exit.stop;
      const pc = BigInt.asUintN(64, BigInt(s.pc));
      if (s.reason === "watchpoint") {
        const reason = BigInt(DebugStopReason.WATCHPOINT) | (s.isWrite ? DEBUG_STOP_WRITE : 0n);
        return state(VcpuRunState.DEBUG_STOP, reason, pc, BigInt.asUintN(64, BigInt(s.address)));
      }
      const reason = s.reason === "step" ? DebugStopReason.STEP : DebugStopReason.BREAKPOINT;
      return state(VcpuRunState.DEBUG_STOP, BigInt(reason), pc);
    }
    case "svc":
    case "user-fault":
      // Only a user-mode CPU reports these; a vCPU never should.
      v.markFaulted(VcpuFaultReason.INTERNAL, 0n, BigInt(cpu.pc));
      return state(VcpuRunState.FAULT, ...v.faultData);
  }
}

function handleAbort(v: Vcpu, a: Stage2Abort): RunResult | undefined {
  const cpu = v.cpu!;
  const gic = v.gic;
  if (gic?.claims(a.ipa)) {
    if (!a.syndromeValid || a.isFetch) return injectAbort(v, a);
    v.counters?.count("gic-mmio");
    const value = gic.mmio(v.vicIndex, {
      ipa: a.ipa,
      size: a.size,
      isWrite: a.isWrite,
      value: a.value,
    });
    if (a.isWrite) cpu.completeMmio();
    else cpu.completeMmioRead(value);
    return undefined;
  }
  const as = v.addrspace!;
  // Mapped but not with this access: a permission fault the guest must see.
  if (as.lookup(Math.floor(a.ipa / PAGE_SIZE))) return injectAbort(v, a);
  const rtc = as.vrtc;
  if (rtc?.claims(a.ipa, a.size)) {
    // The vRTC's PL031 (vrtc.ts) comes before the VMMIO ranges, as in Gunyah.
    if (!a.syndromeValid || a.isFetch) return injectAbort(v, a);
    const r = rtc.access(a);
    if (r.kind === "fault") return injectAbort(v, a);
    v.counters?.count("vrtc-mmio");
    if (a.isWrite) cpu.completeMmio();
    else cpu.completeMmioRead(r.value);
    return undefined;
  }
  if (as.isVmmio(a.ipa)) {
    // Only single-register loads/stores without writeback can be emulated.
    if (!a.syndromeValid || a.isFetch) return injectAbort(v, a);
    v.counters?.count("vmmio");
    v.pending = { kind: "mmio", abort: a };
    return exitState("mmio", a);
  }
  v.counters?.count("page-fault");
  v.pending = { kind: "page-fault", abort: a };
  return exitState("page-fault", a);
}

/**
 * Delivers a synchronous external abort to the guest, unless this is a fetch abort at
 * the very PC where the previous injected fetch abort sent the guest, with nothing
 * retired in between (the CPU counts the aborted fetch itself): then the exception
 * vector is unreachable (e.g. an undefined instruction before VBAR_EL1 is set), the
 * guest would re-take the same abort forever, and the vCPU reports FAULT instead.
 */
function injectAbort(v: Vcpu, a: Stage2Abort): RunResult | undefined {
  const cpu = v.cpu!;
  const retired = cpu.instructionsRetired;
  const last = v.lastInjectedFetch;
  if (a.isFetch && last && last.pc === a.pc && retired - last.retired <= 1) {
    log.warn(`vCPU ${v.vicIndex}: exception vector at 0x${a.pc.toString(16)} is unreachable`);
    v.markFaulted(VcpuFaultReason.NESTED_ABORT, BigInt(a.ipa), BigInt(a.pc));
    return state(VcpuRunState.FAULT, ...v.faultData);
  }
  v.counters?.count("abort-injected");
  cpu.injectExternalAbort(a);
  v.lastInjectedFetch = a.isFetch ? { pc: cpu.pc, retired: cpu.instructionsRetired } : undefined;
  return undefined;
}
