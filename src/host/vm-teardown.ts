// The VM teardown of the v17 driver (gunyah-abi.md section 4): VM_STOP(force) if
// running and wait for EXITED; reclaim the DTB parcel; remove the functions; reclaim
// every page; VM_RESET and wait for RESET; VM_DEALLOC_VMID. It never throws for RM or
// hypervisor errors: each is logged and the rest still runs.
//
// The RM's VM_RESET is staged over many event-loop turns (its page-recovery walk alone
// is one slice per 4 MiB of guest RAM), so on a loaded machine it may take longer
// than one status timeout. While the RM answers VM_GET_STATE with RESETTING it is
// working, and teardown keeps waiting, up to resetTimeoutMs in all; a VM the RM does
// not reset in that time, a state that is no step of a reset, or a VM_GET_STATE that
// fails is reported as what it is, and the VMID is then not deallocated (the RM would
// refuse it: VM_STATE).

import { RateLimitedLog } from "../lib/log.js";
import { VmStatus } from "../rm/protocol/index.js";
import type { HostResult } from "./errors.js";
import type { VmCore } from "./vm-core.js";

const log = new RateLimitedLog("host/vm-teardown");

/** Whether the awaited status came, or why not (for the log). */
type Awaited = { readonly ok: true } | { readonly ok: false; readonly why: string };

/**
 * Waits for a status; if no notification brings it within the status timeout, asks
 * the RM (VM_GET_STATE), so one lost notification cannot wedge teardown. While the
 * RM's answer is `pending` (a transition it is still working through), waits again,
 * until `limitMs` have passed since the call.
 */
async function awaitStatus(
  core: VmCore,
  vmid: number,
  pred: (s: number) => boolean,
  pending: (s: number) => boolean = () => false,
  limitMs = 0,
): Promise<Awaited> {
  const started = Date.now();
  for (;;) {
    if (await core.waitStatus(pred)) return { ok: true };
    const state = await core.services.rm.getState(vmid);
    if (!state.ok) return { ok: false, why: `VM_GET_STATE: ${state.error.message}` };
    core.setStatus(state.value.vmStatus);
    if (pred(core.status())) return { ok: true };
    const waited = Date.now() - started;
    const reported = `the RM reports status ${state.value.vmStatus} after ${waited} ms`;
    if (!pending(state.value.vmStatus) || waited >= limitMs) return { ok: false, why: reported };
  }
}

function warnIfFailed(core: VmCore, what: string, r: HostResult<unknown>): void {
  if (!r.ok) log.warn(`vm ${core.vmid}: ${what}: ${r.error.message}`);
}

async function reclaimDtb(core: VmCore): Promise<boolean> {
  const parcel = core.dtbParcel;
  if (!parcel) return true;
  const r = await core.services.rm.memReclaim(parcel.handle);
  if (!r.ok) return false;
  core.dtbParcel = undefined;
  core.pager.setParcelPages(parcel.gpa, parcel.size, false);
  return true;
}

/**
 * VM_RESET where the VM's state allows it (EXITED, READY, INIT_FAILED), then its RESET.
 * False only for a reset the RM accepted and did not finish: the VMID is still its.
 */
async function resetVm(core: VmCore, vmid: number): Promise<boolean> {
  const s = core.status();
  if (s !== VmStatus.EXITED && s !== VmStatus.READY && s !== VmStatus.INIT_FAILED) return true;
  const reset = await core.services.rm.reset(vmid);
  warnIfFailed(core, "VM_RESET", reset);
  if (!reset.ok) return true;
  const done = await awaitStatus(
    core,
    vmid,
    (x) => x === VmStatus.RESET || x === VmStatus.NONE,
    (x) => x === VmStatus.RESETTING,
    core.resetTimeoutMs,
  );
  if (!done.ok) log.warn(`vm ${vmid}: VM_RESET did not finish: ${done.why}`);
  return done.ok;
}

/** Releases everything the VM holds, in the v17 order. Never throws for RM/hyp errors. */
export async function teardownVm(core: VmCore): Promise<void> {
  const rm = core.services.rm;
  const vmid = core.vmid;
  // A start still running finishes first; it holds no reference, so wait for it here.
  if (core.startPromise) await core.startPromise;

  if (vmid !== undefined && core.status() === VmStatus.RUNNING) {
    warnIfFailed(core, "VM_STOP", await rm.stop(vmid, true));
    const exited = await awaitStatus(core, vmid, (s) => s !== VmStatus.RUNNING);
    if (!exited.ok) log.warn(`vm ${vmid}: did not leave RUNNING after VM_STOP: ${exited.why}`);
  }

  // The parcel may stay in use until the VM is reset; then it is retried below.
  const dtbReclaimed = vmid === undefined || (await reclaimDtb(core));

  core.functions.removeAll();
  warnIfFailed(core, "reclaim pages", core.pager.reclaimAll());

  const resetDone = vmid === undefined || (await resetVm(core, vmid));
  if (vmid !== undefined && !dtbReclaimed && !(await reclaimDtb(core))) {
    log.warn(`vm ${vmid}: DTB parcel could not be reclaimed; its pages are leaked`);
  }

  core.tickets.removeAllResources();
  core.pager.unregisterTickets(core.tickets);
  core.bindings.clear();
  if (vmid !== undefined) {
    if (resetDone) warnIfFailed(core, "VM_DEALLOC_VMID", await rm.deallocVmid(vmid));
    else log.warn(`vm ${vmid}: VMID not deallocated: its reset did not finish`);
  }
  core.unsubscribeNotifications();
}
