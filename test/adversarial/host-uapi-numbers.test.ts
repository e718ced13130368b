// REGRESSION (was findings/host-uapi-numbers.repro.ts; fixed in src/host/vm.ts,
// src/host/functions/args.ts and the function argument encoders, with src/lib/layout.ts
// encode refusing values that do not fit): numbers from the VMM that are not integers in
// range were not refused with EINVAL.
//  1. mapMem / setDtbConfig with a non-integer number (the type allows `number`) threw
//     a RangeError out of BigInt() instead of returning EINVAL.
//  2. addFunction passed vcpu ids, ioeventfd addresses and datamatch values through
//     Layout.encode, which wrapped them modulo 2^n: vcpu id 2^32 (or 0.5) silently
//     became vCPU 0, an ioeventfd at 2^64 + UART was registered at UART.
// Now (hardening.md: every input from a user gets a clear error; style: Results for
// anything a user can trigger): EINVAL for each, no exception, no aliasing.
// Run: node --import tsx --test test/adversarial/host-uapi-numbers.test.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootReg, EventFd, MapFlag, openGunyah } from "../../src/host/index.js";
import { smallPlatform, GUEST_RAM, UART } from "./harness.js";

async function freshVm() {
  const device = await openGunyah({ platform: smallPlatform() });
  assert.ok(device.ok);
  const mem = device.value.createGuestMem({ size: 1 << 20 });
  const vm = device.value.createVm();
  assert.ok(mem.ok && vm.ok);
  return { mem: mem.value, vm: vm.value };
}

function assertEinval(r: { ok: boolean; error?: unknown }, what: string): void {
  assert.equal(r.ok, false, what);
  assert.equal((r as { error: { code: string } }).error.code, "EINVAL", what);
}

test("mapMem with a fractional, negative or > u64 number returns EINVAL (was: RangeError)", async () => {
  const { mem, vm } = await freshVm();
  const base = {
    guestAddr: GUEST_RAM,
    flags: MapFlag.ALLOW_RWX,
    guestMem: mem,
    offset: 0,
    size: 4096,
  };
  const bad = [
    { guestAddr: GUEST_RAM + 0.5 },
    { guestAddr: -4096 },
    { guestAddr: 1n << 64n },
    { guestAddr: NaN },
    { offset: 0.25 },
    { offset: -1n },
    { size: 4096.5 },
    { size: Infinity },
    { flags: MapFlag.ALLOW_RWX + 0.5 },
    { flags: -1 },
  ];
  for (const change of bad) {
    let r;
    assert.doesNotThrow(
      () => {
        r = vm.mapMem({ ...base, ...change });
      },
      JSON.stringify(change, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)),
    );
    assertEinval(r!, String(Object.entries(change)[0]));
  }
  assert.ok(vm.mapMem(base).ok, "the valid mapping still works afterwards");
});

test("setDtbConfig with a fractional or out-of-range address returns EINVAL (was: RangeError)", async () => {
  const { vm } = await freshVm();
  for (const config of [
    { guestPhysAddr: 0.5, size: 0x1000 },
    { guestPhysAddr: -1, size: 0x1000 },
    { guestPhysAddr: GUEST_RAM, size: 0x1000 + 0.5 },
    { guestPhysAddr: 1n << 64n, size: 0x1000 },
  ]) {
    let r;
    assert.doesNotThrow(() => {
      r = vm.setDtbConfig(config);
    });
    assertEinval(r!, String(config.guestPhysAddr));
  }
  assert.ok(vm.setDtbConfig({ guestPhysAddr: GUEST_RAM, size: 0x1000 }).ok);
});

test("a vCPU id that is not a u32 is refused (was: id 2^32 and 0.5 aliased vCPU 0)", async () => {
  const { vm } = await freshVm();
  for (const id of [2 ** 32, 0.5, -1, NaN]) {
    let r;
    assert.doesNotThrow(() => {
      r = vm.addFunction({ type: "vcpu", id });
    });
    assertEinval(r!, `vcpu id ${id}`);
  }
  const zero = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(zero.ok, "vCPU 0 itself must still be addable");
  // Removing with an aliasing id must not remove vCPU 0 either.
  assertEinval(vm.removeFunction({ type: "vcpu", id: 2 ** 32 }), "remove vcpu 2^32");
});

test("an ioeventfd address or datamatch outside u64 is refused (was: wrapped and registered)", async () => {
  const { vm } = await freshVm();
  const wrapped = vm.addFunction({
    type: "ioeventfd",
    eventfd: new EventFd(),
    addr: (1n << 64n) + BigInt(UART),
    len: 4,
  });
  assertEinval(wrapped, "addr 2^64 + UART");
  assertEinval(
    vm.addFunction({ type: "ioeventfd", eventfd: new EventFd(), addr: -1n, len: 4 }),
    "addr -1",
  );
  const bigMatch = vm.addFunction({
    type: "ioeventfd",
    eventfd: new EventFd(),
    addr: BigInt(UART),
    len: 4,
    datamatch: 1n << 70n,
  });
  assertEinval(bigMatch, "datamatch 2^70");
  const fine = vm.addFunction({
    type: "ioeventfd",
    eventfd: new EventFd(),
    addr: BigInt(UART),
    len: 4,
    datamatch: (1n << 64n) - 1n,
  });
  assert.ok(fine.ok, "the largest u64 datamatch is valid");
});

test("an irqfd label that is not a u32 is refused", async () => {
  const { vm } = await freshVm();
  for (const label of [2 ** 32, 1.5, -1]) {
    assertEinval(
      vm.addFunction({ type: "irqfd", eventfd: new EventFd(), label }),
      `label ${label}`,
    );
  }
});

test("a raw function type that is not a u32 is refused", async () => {
  const { vm } = await freshVm();
  assertEinval(vm.addFunction({ type: 2 ** 32, arg: new Uint8Array(4) }), "type 2^32");
  assertEinval(vm.addFunction({ type: 0.5, arg: new Uint8Array(4) }), "type 0.5");
});

test("setBootContext with a value outside u64 or a fractional register is EINVAL, not thrown", async () => {
  const { vm } = await freshVm();
  for (const value of [-1n, 1n << 64n, 0.5 as unknown as bigint]) {
    let r;
    assert.doesNotThrow(() => {
      r = vm.setBootContext({ reg: bootReg("pc"), value });
    });
    assertEinval(r!, String(value));
  }
  let fractionalReg;
  assert.doesNotThrow(() => {
    fractionalReg = vm.setBootContext({ reg: 0.5, value: 0n });
  });
  assertEinval(fractionalReg!, "reg 0.5");
  assert.ok(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) }).ok);
});
