// Virtual power management groups: the vCPUs of one VM for PSCI (CPU_ON targets,
// SYSTEM_OFF), with a VIRQ raised when the group's power state changes and
// vpm_group_get_state for the RM.

import { HypError } from "./abi/errors.js";
import { VpmState } from "./abi/objects.js";
import { HypObject, type ObjectRegistry } from "./object.js";
import { VirqBinding } from "./virq.js";

export const VPM_MAX_VCPUS = 64;

/** A vCPU as its group sees it. */
export interface VpmMember {
  readonly poweredOn: boolean;
  readonly waiting: boolean;
}

export class VpmGroup extends HypObject {
  readonly members: (VpmMember | undefined)[] = [];
  readonly virq = new VirqBinding({ isAsserted: () => false }, "vpm");
  private anyOn = false;
  /** vpm_group_configure's no_aggregation option (bit 0 of vpm_group_option_flags). */
  noAggregation = false;

  constructor(registry: ObjectRegistry) {
    super("vpm_group", registry);
  }

  protected onActivate(): number {
    return HypError.OK;
  }

  protected onDestroy(): void {
    this.virq.unbind();
  }

  attach(member: VpmMember, index: number): number {
    if (index < 0 || index >= VPM_MAX_VCPUS) return HypError.ARGUMENT_INVALID;
    if (this.members[index]) return HypError.BUSY;
    this.members[index] = member;
    return HypError.OK;
  }

  detach(member: VpmMember): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members[i] = undefined;
  }

  powerState(): number {
    const on = this.members.filter((m) => m?.poweredOn);
    if (on.length === 0) return VpmState.NO_STATE;
    if (on.every((m) => m?.waiting)) return VpmState.CPUS_SUSPENDED;
    return VpmState.RUNNING;
  }

  /**
   * Called on every power change of a member: raises the VIRQ when the group goes
   * from no vCPU on to some on, or back (not on every WFI, which would flood the RM).
   */
  update(): void {
    const on = this.members.some((m) => m?.poweredOn);
    if (on === this.anyOn) return;
    this.anyOn = on;
    this.virq.assert();
  }
}
