// Test helpers: boot a small hypervisor and issue hypercalls by call number.
import assert from "node:assert/strict";
import { Call, hypercallId } from "../../src/hyp/abi/calls.js";
import { hypErrorFromX0, hypErrorName } from "../../src/hyp/abi/errors.js";
import {
  Access,
  MemextentType,
  Rights,
  mappingAttrs,
  memextentAttrs,
  msgqueueCreateInfo,
} from "../../src/hyp/abi/objects.js";
import type { HypercallPort, HypercallResult, RootVm } from "../../src/hyp/abi/port.js";
import { Hypervisor, type HypervisorOptions } from "../../src/hyp/index.js";

export const MiB = 1024 * 1024;
export const RAM_BASE = 0x8000_0000;

export function boot(options: HypervisorOptions = {}): { hyp: Hypervisor; rm: RootVm } {
  const hyp = new Hypervisor({ ramSize: 64 * MiB, seed: 1234, ...options });
  const rm = hyp.createRootVm({ vmid: 0xff, ownRamSize: 8 * MiB });
  return { hyp, rm };
}

/** One hypercall; returns [error, x1, x2, x3]. */
export function call(
  port: HypercallPort,
  n: number,
  ...args: bigint[]
): [number, bigint, bigint, bigint] {
  const r: HypercallResult = port.hvc(hypercallId(n), args);
  return [hypErrorFromX0(r[0]), r[1], r[2], r[3]];
}

/** A hypercall that must succeed; returns X1. */
export function ok(port: HypercallPort, n: number, ...args: bigint[]): bigint {
  const [e, x1] = call(port, n, ...args);
  assert.equal(hypErrorName(e), "OK", `call 0x${n.toString(16)} failed`);
  return x1;
}

export function expectError(
  port: HypercallPort,
  expected: number,
  n: number,
  ...args: bigint[]
): void {
  const [e] = call(port, n, ...args);
  assert.equal(hypErrorName(e), hypErrorName(expected), `call 0x${n.toString(16)}`);
}

const CREATE = {
  partition: Call.PARTITION_CREATE_PARTITION,
  cspace: Call.PARTITION_CREATE_CSPACE,
  addrspace: Call.PARTITION_CREATE_ADDRSPACE,
  memextent: Call.PARTITION_CREATE_MEMEXTENT,
  thread: Call.PARTITION_CREATE_THREAD,
  doorbell: Call.PARTITION_CREATE_DOORBELL,
  msgqueue: Call.PARTITION_CREATE_MSGQUEUE,
  vic: Call.PARTITION_CREATE_VIC,
  vpm_group: Call.PARTITION_CREATE_VPM_GROUP,
} as const;

export function create(rm: RootVm, type: keyof typeof CREATE): bigint {
  return ok(rm.hvc, CREATE[type], rm.caps.partition, rm.caps.cspace);
}

export function activate(rm: RootVm, cap: bigint): void {
  ok(rm.hvc, Call.OBJECT_ACTIVATE, cap);
}

export function makeMsgqueue(rm: RootVm, depth = 8, size = 240): bigint {
  const mq = create(rm, "msgqueue");
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE, mq, msgqueueCreateInfo(depth, size));
  activate(rm, mq);
  return mq;
}

/** A SPARSE or BASIC extent derived from `parent` at [offset, offset+size). */
export function deriveExtent(
  rm: RootVm,
  parent: bigint,
  offset: number,
  size: number,
  type: number = MemextentType.BASIC,
  access: number = Access.RWX,
): bigint {
  const me = create(rm, "memextent");
  ok(
    rm.hvc,
    Call.MEMEXTENT_CONFIGURE_DERIVE,
    me,
    parent,
    BigInt(offset),
    BigInt(size),
    memextentAttrs(access, type),
  );
  activate(rm, me);
  return me;
}

export function makeAddrspace(rm: RootVm, vmid: number): bigint {
  const as = create(rm, "addrspace");
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE, as, BigInt(vmid));
  activate(rm, as);
  return as;
}

export function deleteCap(rm: RootVm, cap: bigint): void {
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, cap);
}

export { Access, Call, MemextentType, Rights, mappingAttrs, memextentAttrs, msgqueueCreateInfo };

/** Waits for queued VIRQ deliveries (they run on later event-loop turns). */
export function turns(n = 3): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    const step = (): void => {
      if (--left <= 0) resolve();
      else setImmediate(step);
    };
    setImmediate(step);
  });
}
