import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError } from "../../src/hyp/abi/index.js";
import { ok } from "../../src/lib/result.js";
import { EventFd } from "../../src/host/eventfd.js";
import { fail } from "../../src/host/errors.js";
import {
  FN_MAX_ARG_SIZE,
  FunctionInstances,
  FunctionTypeRegistry,
  type FunctionType,
} from "../../src/host/functions/registry.js";
import { IoeventfdArg } from "../../src/host/functions/ioeventfd.js";
import { Caps, configuredVm, testHost, tick } from "./setup.js";

interface Host {
  bound: number;
}

function countingType(id: number, failBind = false): FunctionType<Host> {
  return {
    id,
    name: `t${id}`,
    bind(host, arg) {
      if (failBind) return fail("EIO", "bind refused");
      host.bound++;
      return ok({ value: arg[0], unbind: (h: Host) => void h.bound-- });
    },
    compare: (a, b) => a[0] === b[0],
  };
}

test("function registry: types load on first use; unknown types are ENOENT", () => {
  const registry = new FunctionTypeRegistry<Host>();
  let loads = 0;
  registry.register(7, () => {
    loads++;
    return countingType(7);
  });
  assert.throws(() => registry.register(7, () => countingType(7)));
  const host = { bound: 0 };
  const fns = new FunctionInstances(registry, host);
  assert.equal(loads, 0);
  assert.ok(fns.add(7, new Uint8Array([1])).ok);
  assert.ok(fns.add(7, new Uint8Array([2])).ok);
  assert.equal(loads, 1);
  assert.equal(registry.users(7), 2);
  const unknown = fns.add(99, new Uint8Array(0));
  assert.ok(!unknown.ok);
  assert.equal(unknown.error.code, "ENOENT");
});

test("function registry: arguments are bounded and copied; removal uses the type's compare", () => {
  const registry = new FunctionTypeRegistry<Host>();
  registry.register(1, () => countingType(1));
  const host = { bound: 0 };
  const fns = new FunctionInstances(registry, host);
  const big = fns.add(1, new Uint8Array(FN_MAX_ARG_SIZE + 1));
  assert.ok(!big.ok);
  assert.equal(big.error.code, "EINVAL");
  assert.equal(registry.users(1), 0);
  const arg = new Uint8Array([5, 6]);
  assert.ok(fns.add(1, arg).ok);
  arg[0] = 9; // the caller's buffer changes after the call
  const miss = fns.remove(1, new Uint8Array([9]));
  assert.ok(!miss.ok);
  assert.equal(miss.error.code, "ENOENT");
  assert.ok(fns.remove(1, new Uint8Array([5, 0xff])).ok, "compare looks at what the type says");
  assert.equal(host.bound, 0);
  assert.equal(registry.users(1), 0);
});

test("function registry: a failed bind releases the type reference and the lock", () => {
  const registry = new FunctionTypeRegistry<Host>();
  registry.register(3, () => countingType(3, true));
  registry.register(4, () => countingType(4));
  const host = { bound: 0 };
  const fns = new FunctionInstances(registry, host);
  const r = fns.add(3, new Uint8Array([1]));
  assert.ok(!r.ok);
  assert.equal(r.error.code, "EIO");
  assert.equal(registry.users(3), 0);
  assert.equal(fns.isLocked, false);
  assert.ok(fns.add(4, new Uint8Array([1])).ok, "the lock was released");
  fns.removeAll();
  assert.equal(host.bound, 0);
  assert.equal(fns.count, 0);
  assert.equal(registry.users(4), 0);
});

test("vcpu function: one per id (EEXIST), argument size checked, VM kept alive by the handle", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  const a = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(a.ok);
  const dup = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(!dup.ok);
  assert.equal(dup.error.code, "EEXIST");
  const raw = vm.addFunction({ type: 1, arg: new Uint8Array(8) });
  assert.ok(!raw.ok);
  assert.equal(raw.error.code, "EINVAL");
  const none = vm.removeFunction({ type: "vcpu", id: 5 });
  assert.ok(!none.ok);
  assert.equal(none.error.code, "ENOENT");
  let released = false;
  void vm.released.then(() => (released = true));
  vm.close();
  await tick(5);
  assert.equal(released, false, "the vCPU handle holds a VM reference");
  a.value.close();
  await vm.released;
  const closed = vm.addFunction({ type: "vcpu", id: 1 });
  assert.ok(!closed.ok);
});

test("irqfd: signalling rings the doorbell of the ticket's resource; events before start are kept", async () => {
  const host = testHost({ doorbells: [1, 2] });
  const { vm } = configuredVm(host);
  const edge = new EventFd();
  const level = new EventFd();
  assert.ok(vm.addFunction({ type: "irqfd", eventfd: edge, label: 1 }).ok);
  assert.ok(vm.addFunction({ type: "irqfd", eventfd: level, label: 2, level: true }).ok);
  const dup = vm.addFunction({ type: "irqfd", eventfd: new EventFd(), label: 1 });
  assert.ok(!dup.ok);
  assert.equal(dup.error.code, "EEXIST");
  edge.signal(1); // before start: no doorbell yet
  const hyp = host.native.hyp;
  assert.equal(hyp.named("DOORBELL_SEND").length, 0);
  assert.ok((await vm.start()).ok);
  assert.deepEqual(
    hyp.named("DOORBELL_SEND").map((c) => c.args[0]),
    [Caps.doorbell(1)],
  );
  assert.deepEqual(
    hyp.named("DOORBELL_MASK").map((c) => c.args.slice(0, 3)),
    [[Caps.doorbell(2), 1n, 1n]],
  );
  level.signal(3);
  edge.signal(1);
  assert.deepEqual(
    hyp.named("DOORBELL_SEND").map((c) => [c.args[0], c.args[1]]),
    [
      [Caps.doorbell(1), 1n],
      [Caps.doorbell(2), 1n],
      [Caps.doorbell(1), 1n],
    ],
  );
  assert.equal(level.value, 0n, "the irqfd consumes the count");
  host.device.injectHypercallFaults((name) =>
    name === "DOORBELL_SEND" ? HypError.CSPACE_CAP_REVOKED : undefined,
  );
  edge.signal(1); // logged, not thrown
  host.device.injectHypercallFaults(undefined);
  // Removal matches by label; afterwards signals ring nothing.
  assert.ok(vm.removeFunction({ type: "irqfd", eventfd: new EventFd(), label: 1 }).ok);
  const sends = hyp.named("DOORBELL_SEND").length;
  edge.signal(1);
  assert.equal(hyp.named("DOORBELL_SEND").length, sends);
  const badFd = vm.addFunction({
    type: 2,
    arg: new Uint8Array([0xff, 0xff, 0xff, 0x7f, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  });
  assert.ok(!badFd.ok);
  assert.equal(badFd.error.code, "EBADF");
  const badFlags = vm.addFunction({
    type: 2,
    arg: new Uint8Array([edge.fd, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]),
  });
  assert.ok(!badFlags.ok);
  assert.equal(badFlags.error.code, "EINVAL");
  vm.close();
  await vm.released;
  level.signal(1);
  assert.equal(hyp.named("DOORBELL_SEND").length, sends, "teardown removed every irqfd");
});

test("ioeventfd: argument checks, conflicts, datamatch, removal by compare", () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  const e = new EventFd();
  const raw = (
    o: Partial<{ datamatch: bigint; addr: bigint; len: number; fd: number; flags: number }>,
  ) =>
    vm.addFunction({
      type: 3,
      arg: IoeventfdArg.encode({ datamatch: 0n, addr: 0x1000n, len: 4, fd: e.fd, flags: 0, ...o }),
    });
  const cases: Array<[Parameters<typeof raw>[0], string]> = [
    [{ len: 3 }, "EINVAL"],
    [{ len: 0 }, "EINVAL"],
    [{ flags: 2 }, "EINVAL"],
    [{ addr: (1n << 64n) - 2n }, "EINVAL"],
    [{ fd: 0x7fff_fff0 }, "EBADF"],
  ];
  for (const [o, code] of cases) {
    const r = raw(o);
    assert.ok(
      !r.ok,
      JSON.stringify(o, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
    assert.equal(r.error.code, code);
  }
  assert.ok(
    vm.addFunction({ type: "ioeventfd", eventfd: e, addr: 0x1000n, len: 4, datamatch: 1n }).ok,
  );
  assert.ok(
    vm.addFunction({ type: "ioeventfd", eventfd: e, addr: 0x1000n, len: 4, datamatch: 2n }).ok,
  );
  const clash = vm.addFunction({ type: "ioeventfd", eventfd: e, addr: 0x1000n, len: 4 });
  assert.ok(!clash.ok);
  assert.equal(clash.error.code, "EEXIST");
  assert.ok(vm.addFunction({ type: "ioeventfd", eventfd: e, addr: 0x1000n, len: 8 }).ok);
  const wrong = vm.removeFunction({
    type: "ioeventfd",
    eventfd: e,
    addr: 0x1000n,
    len: 4,
    datamatch: 3n,
  });
  assert.ok(!wrong.ok);
  assert.ok(
    vm.removeFunction({ type: "ioeventfd", eventfd: e, addr: 0x1000n, len: 4, datamatch: 2n }).ok,
  );
  vm.close();
});
