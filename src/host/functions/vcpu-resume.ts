// The words vcpu_run takes and gives the host (gunyah-abi.md section 2), as the
// run loop in vcpu.ts uses them: states and resume actions as bigints, the VMM's
// answers turned into resume words, and an RM status as a run-structure exit status.

import { MmioAction, VcpuRunState } from "../../hyp/abi/index.js";
import { ok } from "../../lib/result.js";
import { VmStatus } from "../../rm/protocol/index.js";
import { fail, type HostResult } from "../errors.js";
import { ResumeAction, VmExitStatus, type RunStructure } from "../run-structure.js";

/** vcpu_run states as the bigint X1 carries them. */
export const RunState = {
  READY: BigInt(VcpuRunState.READY),
  EXPECTS_WAKEUP: BigInt(VcpuRunState.EXPECTS_WAKEUP),
  POWERED_OFF: BigInt(VcpuRunState.POWERED_OFF),
  BLOCKED: BigInt(VcpuRunState.BLOCKED),
  VMMIO_READ: BigInt(VcpuRunState.ADDRSPACE_VMMIO_READ),
  VMMIO_WRITE: BigInt(VcpuRunState.ADDRSPACE_VMMIO_WRITE),
  FAULT: BigInt(VcpuRunState.FAULT),
  PAGE_FAULT: BigInt(VcpuRunState.ADDRSPACE_PAGE_FAULT),
  PSCI_SYSTEM_RESET: BigInt(VcpuRunState.PSCI_SYSTEM_RESET),
  DEBUG_STOP: BigInt(VcpuRunState.DEBUG_STOP),
} as const;

/** The resume1 action after a VMMIO exit. */
export const VmmioAction = {
  EMULATE: BigInt(MmioAction.EMULATE),
  RETRY: BigInt(MmioAction.RETRY),
  FAULT: BigInt(MmioAction.FAULT),
} as const;

export function remapStatus(rmStatus: number): number {
  switch (rmStatus) {
    case VmStatus.INIT_FAILED:
      return VmExitStatus.LOAD_FAILED;
    case VmStatus.EXITED:
      return VmExitStatus.EXITED;
    default:
      return VmExitStatus.CRASHED;
  }
}

/** The resume words for the VMM's answer to an MMIO exit (gunyah_handle_mmio_resume). */
export function mmioResume(
  run: RunStructure,
  isRead: boolean,
  readLen: number,
): HostResult<[bigint, bigint, bigint]> {
  switch (run.mmioResumeAction) {
    case ResumeAction.HANDLED: {
      const data = isRead ? run.mmioData(readLen) : 0n;
      return ok([data, VmmioAction.EMULATE, 0n]);
    }
    case ResumeAction.FAULT:
      return ok([0n, VmmioAction.FAULT, 0n]);
    case ResumeAction.RETRY:
      return ok([0n, VmmioAction.RETRY, 0n]);
    default:
      return fail("EINVAL", `unknown MMIO resume action ${run.mmioResumeAction}`);
  }
}

/**
 * The resume words for the VMM's answer to a PAGE_FAULT exit. The UAPI's
 * page_fault.resume_action (preset to FAULT) is the VMM's verdict: FAULT makes the
 * hypervisor inject a synchronous external abort (vcpu_run resume1 = FAULT, as for
 * VMMIO), so the guest's own handler sees the access to nothing, as on hardware;
 * RETRY (the VMM mapped something meanwhile) and HANDLED run the instruction again.
 * Linux's v17 driver never read this field back (it always retried, so a VMM could
 * only stop the VM); honouring it is what the field is documented for.
 */
export function pageFaultResume(run: RunStructure): HostResult<[bigint, bigint, bigint]> {
  switch (run.pageFaultResumeAction) {
    case ResumeAction.FAULT:
      return ok([0n, VmmioAction.FAULT, 0n]);
    case ResumeAction.RETRY:
    case ResumeAction.HANDLED:
      return ok([0n, VmmioAction.RETRY, 0n]);
    default:
      return fail("EINVAL", `unknown page-fault resume action ${run.pageFaultResumeAction}`);
  }
}
