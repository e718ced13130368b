// FINDING (host UAPI, src/host/bindings.ts, src/host/vm.ts; root cause partly
// src/lib/layout.ts encode): numbers from the VMM that are not integers in range are
// not refused with EINVAL.
//  1. mapMem / setDtbConfig with a non-integer number (the type allows `number`) throw
//     a RangeError out of BigInt() instead of returning EINVAL.
//  2. addFunction passes vcpu ids, ioeventfd addresses and datamatch values through
//     Layout.encode, which wraps them modulo 2^n: vcpu id 2^32 (or 0.5) silently
//     becomes vCPU 0, an ioeventfd at 2^64 + UART is registered at UART.
// Expected (hardening.md: every input from a user gets a clear error; style: Results
// for anything a user can trigger): EINVAL for each, no exception, no aliasing.
// Run: node --import tsx --test test/adversarial/findings/host-uapi-numbers.repro.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventFd, MapFlag, openGunyah } from "../../../src/host/index.js";
import { smallPlatform, GUEST_RAM, UART } from "../harness.js";

async function freshVm() {
  const device = await openGunyah({ platform: smallPlatform() });
  assert.ok(device.ok);
  const mem = device.value.createGuestMem({ size: 1 << 20 });
  const vm = device.value.createVm();
  assert.ok(mem.ok && vm.ok);
  return { mem: mem.value, vm: vm.value };
}

test("mapMem with a fractional guest address returns EINVAL (observed: RangeError thrown)", async () => {
  const { mem, vm } = await freshVm();
  let r;
  assert.doesNotThrow(() => {
    r = vm.mapMem({
      guestAddr: GUEST_RAM + 0.5,
      flags: MapFlag.ALLOW_RWX,
      guestMem: mem,
      offset: 0,
      size: 4096,
    });
  });
  assert.equal(r!.ok, false);
});

test("setDtbConfig with a fractional address returns EINVAL (observed: RangeError thrown)", async () => {
  const { vm } = await freshVm();
  assert.doesNotThrow(() => vm.setDtbConfig({ guestPhysAddr: 0.5, size: 0x1000 }));
});

test("a vCPU id that is not a u32 is refused (observed: id 2^32 and 0.5 alias vCPU 0)", async () => {
  const { vm } = await freshVm();
  const aliased = vm.addFunction({ type: "vcpu", id: 2 ** 32 });
  assert.equal(aliased.ok, false, "vcpu id 2^32 must be EINVAL, not vCPU 0");
  const half = vm.addFunction({ type: "vcpu", id: 0.5 });
  assert.equal(half.ok, false, "vcpu id 0.5 must be EINVAL");
  const zero = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(zero.ok, "vCPU 0 itself must still be addable");
});

test("an ioeventfd address or datamatch above 2^64 is refused (observed: wrapped and registered)", async () => {
  const { vm } = await freshVm();
  const wrapped = vm.addFunction({
    type: "ioeventfd",
    eventfd: new EventFd(),
    addr: (1n << 64n) + BigInt(UART),
    len: 4,
  });
  assert.equal(wrapped.ok, false, "addr 2^64 + UART must be EINVAL");
  const bigMatch = vm.addFunction({
    type: "ioeventfd",
    eventfd: new EventFd(),
    addr: BigInt(UART),
    len: 4,
    datamatch: 1n << 70n,
  });
  assert.equal(bigMatch.ok, false, "datamatch 2^70 must be EINVAL");
});
