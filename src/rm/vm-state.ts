// The VM status state machine as data (style rule 5; gunyah-abi.md section 3
// "Allowed transitions"): for each status, the statuses it may be entered from.

import { VmStatus } from "./protocol/vm.js";

export const VM_STATUS_ENTERED_FROM: Readonly<Record<VmStatus, readonly VmStatus[]>> = {
  [VmStatus.NONE]: [VmStatus.RESET],
  [VmStatus.LOAD]: [VmStatus.NONE],
  [VmStatus.AUTH]: [VmStatus.LOAD, VmStatus.RESET],
  [VmStatus.INIT]: [VmStatus.LOAD, VmStatus.AUTH, VmStatus.RESET],
  [VmStatus.READY]: [VmStatus.INIT],
  [VmStatus.RUNNING]: [VmStatus.READY, VmStatus.PAUSED],
  [VmStatus.PAUSED]: [VmStatus.RUNNING],
  [VmStatus.INIT_FAILED]: [
    VmStatus.INIT,
    VmStatus.READY,
    VmStatus.LOAD,
    VmStatus.AUTH,
    VmStatus.RESET,
  ],
  [VmStatus.EXITED]: [VmStatus.RUNNING, VmStatus.PAUSED],
  [VmStatus.RESETTING]: [VmStatus.EXITED, VmStatus.READY, VmStatus.INIT_FAILED],
  [VmStatus.RESET]: [VmStatus.RESETTING],
};

export function canEnter(from: VmStatus, to: VmStatus): boolean {
  return VM_STATUS_ENTERED_FROM[to].includes(from);
}

/** Every status, for exhaustive tests. */
export const ALL_VM_STATUSES: readonly VmStatus[] = Object.values(VmStatus);
