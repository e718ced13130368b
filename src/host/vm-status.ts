// The host's view of a VM's RM status, as a table of allowed transitions
// (gunyah-abi.md section 3), checked in one place. Replies and notifications can race
// (a guest may exit before the host has processed VM_START's reply), so an update
// that the table does not allow from the current status is ignored, never applied.

import { VmStatus } from "../rm/protocol/index.js";

type Status = (typeof VmStatus)[keyof typeof VmStatus];

/** next status -> the statuses it may follow. */
export const VM_STATUS_FROM: Readonly<Record<Status, readonly Status[]>> = {
  [VmStatus.NONE]: [VmStatus.RESET],
  [VmStatus.LOAD]: [VmStatus.NONE],
  [VmStatus.AUTH]: [VmStatus.LOAD, VmStatus.RESET],
  [VmStatus.INIT]: [VmStatus.LOAD, VmStatus.AUTH, VmStatus.RESET],
  // The host moves LOAD -> READY when VM_INIT's reply arrives; the RM's INIT is transient.
  [VmStatus.READY]: [VmStatus.INIT, VmStatus.LOAD, VmStatus.AUTH],
  [VmStatus.RUNNING]: [VmStatus.READY, VmStatus.PAUSED],
  [VmStatus.PAUSED]: [VmStatus.RUNNING],
  [VmStatus.INIT_FAILED]: [
    VmStatus.INIT,
    VmStatus.READY,
    VmStatus.LOAD,
    VmStatus.AUTH,
    VmStatus.RESET,
  ],
  // READY too: VM_EXITED may be read before VM_START's reply.
  [VmStatus.EXITED]: [VmStatus.RUNNING, VmStatus.PAUSED, VmStatus.READY],
  [VmStatus.RESETTING]: [VmStatus.EXITED, VmStatus.READY, VmStatus.INIT_FAILED],
  [VmStatus.RESET]: [VmStatus.RESETTING, VmStatus.EXITED, VmStatus.READY, VmStatus.INIT_FAILED],
};

export function isVmStatus(n: number): n is Status {
  return Object.values(VmStatus).includes(n as Status);
}

export function canTransition(from: number, to: number): boolean {
  if (!isVmStatus(to) || !isVmStatus(from)) return false;
  return VM_STATUS_FROM[to].includes(from);
}

export type { Status as VmStatusValue };
