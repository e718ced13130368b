// Who is calling: the identity a hypercall runs with. A native VM's port and a
// guest vCPU's HVC both resolve caps in the caller's own cspace and pointers in the
// caller's own stage 2 (ARCHITECTURE.md, "Hypercalls").

import type { Cspace } from "./cspace.js";
import type { MessageBuffer } from "./msgqueue.js";

/** PSCI as seen from one calling vCPU (guests only). */
export interface PsciCaller {
  /** Handles a PSCI function ID; returns X0..X3. */
  psci(functionId: number, args: readonly bigint[]): readonly bigint[];
}

export interface CallerContext {
  /** The caller's cspace; undefined (every cap lookup fails CAP_NULL) if none is attached. */
  readonly cspace: Cspace | undefined;
  /** Buffers named by pointer are IPAs in this address space. */
  readonly memory: MessageBuffer | undefined;
  /** Present for guest vCPUs: PSCI is answered in their context. */
  readonly psci?: PsciCaller;
  /** Where the caller's events go in a trace: [pid = VMID, tid = vCPU index]. */
  traceIdentity?(): readonly [number, number];
}
