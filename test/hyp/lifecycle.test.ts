// The object lifecycle as a table, tested exhaustively: configure only in INIT,
// activate only from INIT, missing mandatory configuration -> OBJECT_CONFIG and FAILED.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError, ObjectState } from "../../src/hyp/abi/index.js";
import type { RootVm } from "../../src/hyp/abi/port.js";
import { OBJECT_TRANSITIONS, canTransition } from "../../src/hyp/object.js";
import { fakeFactory } from "./fake-cpu.js";
import { Call, boot, call, create, makeAddrspace, msgqueueCreateInfo, ok } from "./helpers.js";

type Creatable = Parameters<typeof create>[1];

interface TypeSpec {
  /** A valid configuration call, or undefined if the type has none. */
  readonly configure?: (rm: RootVm, cap: bigint, n: number) => [number, ...bigint[]];
  /** Activation without configuration fails with OBJECT_CONFIG. */
  readonly mandatory: boolean;
  /** Mandatory set-up besides configure (a thread needs an address space attached). */
  readonly prepare?: (rm: RootVm, cap: bigint) => void;
}

const SPECS: Record<Creatable, TypeSpec> = {
  partition: { mandatory: false },
  cspace: { mandatory: true, configure: (_rm, cap) => [Call.CSPACE_CONFIGURE, cap, 8n] },
  addrspace: { mandatory: true, configure: (_rm, cap) => [Call.ADDRSPACE_CONFIGURE, cap, 0x90n] },
  memextent: {
    mandatory: true,
    configure: (rm, cap, n) => [
      Call.MEMEXTENT_CONFIGURE_DERIVE,
      cap,
      rm.caps.memextent,
      BigInt(n * 0x1000),
      0x1000n,
      7n,
    ],
  },
  thread: {
    mandatory: true,
    configure: (_rm, cap) => [Call.VCPU_CONFIGURE, cap, 0n],
    prepare: (rm, cap) =>
      ok(rm.hvc, Call.ADDRSPACE_ATTACH_THREAD, makeAddrspace(rm, 0x91), cap) as unknown as void,
  },
  doorbell: { mandatory: false },
  msgqueue: {
    mandatory: true,
    configure: (_rm, cap) => [Call.MSGQUEUE_CONFIGURE, cap, msgqueueCreateInfo(4, 16)],
  },
  vic: { mandatory: false, configure: (_rm, cap) => [Call.VIC_CONFIGURE, cap, 1n, 32n, 0n, 0n] },
  vpm_group: { mandatory: false },
};

test("the transition table: INIT -> ACTIVE | FAILED | DESTROYING; ACTIVE, FAILED -> DESTROYING only", () => {
  const states = Object.values(ObjectState);
  const expected = new Set(["0>1", "1>2", "1>3", "1>4", "2>4", "3>4"]);
  for (const a of states)
    for (const b of states)
      assert.equal(canTransition(a, b), expected.has(`${a}>${b}`), `${a} -> ${b}`);
  assert.equal(Object.keys(OBJECT_TRANSITIONS).length, states.length);
});

for (const [type, spec] of Object.entries(SPECS) as [Creatable, TypeSpec][]) {
  test(`${type}: configure in INIT only, activate once, mandatory configuration enforced`, () => {
    const f = fakeFactory();
    const { rm } = boot({ cpuFactory: f.factory });
    let n = 0;
    const doConfigure = (cap: bigint) => {
      const [num, ...args] = spec.configure!(rm, cap, n++);
      return call(rm.hvc, num, ...args)[0];
    };
    // Unconfigured activation.
    const bare = create(rm, type);
    const [e] = call(rm.hvc, Call.OBJECT_ACTIVATE, bare);
    assert.equal(e, spec.mandatory ? HypError.OBJECT_CONFIG : HypError.OK);
    // Now FAILED (mandatory) or ACTIVE: configuration and activation refused either way.
    if (spec.configure) assert.equal(doConfigure(bare), HypError.OBJECT_STATE);
    assert.equal(call(rm.hvc, Call.OBJECT_ACTIVATE, bare)[0], HypError.OBJECT_STATE);
    // Configured activation.
    const good = create(rm, type);
    spec.prepare?.(rm, good);
    if (spec.configure) assert.equal(doConfigure(good), HypError.OK);
    ok(rm.hvc, Call.OBJECT_ACTIVATE, good);
    if (spec.configure) assert.equal(doConfigure(good), HypError.OBJECT_STATE);
    assert.equal(call(rm.hvc, Call.OBJECT_ACTIVATE, good)[0], HypError.OBJECT_STATE);
    // Activation needs the activate right.
    const weak = ok(
      rm.hvc,
      Call.CSPACE_COPY_CAP_FROM,
      rm.caps.cspace,
      create(rm, type),
      rm.caps.cspace,
      0x7fff_ffffn,
    );
    assert.equal(call(rm.hvc, Call.OBJECT_ACTIVATE, weak)[0], HypError.CSPACE_INSUFFICIENT_RIGHTS);
  });
}
