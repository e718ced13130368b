// Native VMs (the RM and the host, whose kernels are TypeScript): a hypercall port
// bound to the VM's cspace and address space, its VirqSink, and a RAM view checked
// against its own stage 2 on every access.

import type { HypercallPort, HypercallResult, NativeMemory, NativeVm } from "./abi/port.js";
import type { Addrspace } from "./addrspace.js";
import type { CallerContext } from "./context.js";
import type { Cspace } from "./cspace.js";
import type { Dispatcher } from "./dispatch/dispatcher.js";
import type { NativeVirqSink } from "./native-sink.js";

export class NativeVmContext implements NativeVm, CallerContext {
  readonly hvc: HypercallPort;
  readonly memory: NativeMemory;

  constructor(
    readonly vmid: number,
    readonly cspace: Cspace,
    readonly addrspace: Addrspace,
    readonly virqs: NativeVirqSink,
    dispatcher: Dispatcher,
    readonly counter: () => bigint,
  ) {
    this.hvc = {
      hvc: (functionId: number, args: readonly bigint[]): HypercallResult =>
        dispatcher.dispatch(this, functionId, args),
    };
    this.memory = {
      read: (ipa, length) => addrspace.read(ipa, length),
      write: (ipa, data) => addrspace.write(ipa, data),
    };
  }

  traceIdentity(): readonly [number, number] {
    return [this.vmid, 0];
  }
}
