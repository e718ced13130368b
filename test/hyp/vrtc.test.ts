// The vRTC object and its four hypercalls (hyp/interfaces/vrtc/vrtc.hvc, checks of
// hyp/vm/vrtc_pl031/src/hypercalls.c) and the PL031 the guest sees
// (hyp/vm/vrtc_pl031/src/vrtc_pl031.c), read by a real guest through the CPU.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError, VcpuRunState } from "../../src/hyp/abi/index.js";
import { ObjectRegistry } from "../../src/hyp/object.js";
import { Vrtc, VRTC_DEV_SIZE } from "../../src/hyp/vrtc.js";
import { A64, assemble, mov32 } from "./a64.js";
import { buildGuest, GUEST_RAM_IPA, mapIntoRoot, run } from "./guest.js";
import {
  Call,
  Rights,
  activate,
  boot,
  call,
  create,
  expectError,
  makeAddrspace,
  ok,
} from "./helpers.js";

const RTC_IPA = 0x0901_0000;
/** 2021-03-04T05:06:07Z. */
const BASE_SECONDS = 1_614_834_367n;
const NS = 1_000_000_000n;

function newVrtc(rm: ReturnType<typeof boot>["rm"]): bigint {
  return ok(rm.hvc, Call.PARTITION_CREATE_VRTC, rm.caps.partition, rm.caps.cspace);
}

/** A copy of `cap` in the RM's cspace with only `rights`. */
function restricted(rm: ReturnType<typeof boot>["rm"], cap: bigint, rights: number): bigint {
  return ok(rm.hvc, Call.CSPACE_COPY_CAP_FROM, rm.caps.cspace, cap, rm.caps.cspace, BigInt(rights));
}

test("partition_create_vrtc: a vrtc object in INIT; res0, partition and cspace caps checked", () => {
  const { hyp, rm } = boot();
  const before = hyp.stats().objects.vrtc;
  const v = newVrtc(rm);
  assert.equal(hyp.stats().objects.vrtc, before + 1);
  const p = rm.caps.partition;
  const cs = rm.caps.cspace;
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.PARTITION_CREATE_VRTC, p, cs, 1n);
  expectError(rm.hvc, HypError.CSPACE_WRONG_OBJECT_TYPE, Call.PARTITION_CREATE_VRTC, v, cs);
  expectError(rm.hvc, HypError.CSPACE_WRONG_OBJECT_TYPE, Call.PARTITION_CREATE_VRTC, p, v);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.PARTITION_CREATE_VRTC, 0x1234n, cs);
  // Not configured: activation fails with OBJECT_CONFIG and leaves it FAILED.
  expectError(rm.hvc, HypError.OBJECT_CONFIG, Call.OBJECT_ACTIVATE, v);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, cs, v);
  assert.equal(hyp.stats().objects.vrtc, before);
});

test("vrtc_configure: alignment and wrap (ADDR_INVALID) before the cap, then rights, type, state", () => {
  const { rm } = boot();
  const v = newVrtc(rm);
  expectError(rm.hvc, HypError.ADDR_INVALID, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA + 4));
  expectError(rm.hvc, HypError.ADDR_INVALID, Call.VRTC_CONFIGURE, 0x1234n, 0x800n);
  expectError(rm.hvc, HypError.ADDR_INVALID, Call.VRTC_CONFIGURE, v, (1n << 64n) - 0x1000n);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA), 1n);
  const noConfigure = restricted(rm, v, Rights.vrtc.SET_TIME_BASE | Rights.vrtc.ATTACH_ADDRSPACE);
  expectError(
    rm.hvc,
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
    Call.VRTC_CONFIGURE,
    noConfigure,
    BigInt(RTC_IPA),
  );
  const db = create(rm, "doorbell");
  expectError(rm.hvc, HypError.CSPACE_WRONG_OBJECT_TYPE, Call.VRTC_CONFIGURE, db, BigInt(RTC_IPA));
  ok(rm.hvc, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
  // Configuring again while INIT is allowed (the last IPA wins); once ACTIVE it is not.
  ok(rm.hvc, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA + 0x1000));
  activate(rm, v);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
});

test("vrtc_set_time_base: ACTIVE only, a reference in the future refused, once only (BUSY)", () => {
  const { hyp, rm } = boot();
  const v = newVrtc(rm);
  const now = () => hyp.clock.now();
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VRTC_SET_TIME_BASE, v, 5n * NS, now());
  ok(rm.hvc, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
  activate(rm, v);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VRTC_SET_TIME_BASE, v, 5n * NS, 0n, 1n);
  const noRight = restricted(rm, v, Rights.vrtc.CONFIGURE | Rights.vrtc.ATTACH_ADDRSPACE);
  expectError(
    rm.hvc,
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
    Call.VRTC_SET_TIME_BASE,
    noRight,
    5n * NS,
    now(),
  );
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VRTC_SET_TIME_BASE, v, 5n * NS, now() + 1n);
  ok(rm.hvc, Call.VRTC_SET_TIME_BASE, v, BASE_SECONDS * NS, now());
  expectError(rm.hvc, HypError.BUSY, Call.VRTC_SET_TIME_BASE, v, BASE_SECONDS * NS, now());
});

test("vrtc_attach_addrspace: vRTC ACTIVE, address space cap with map and ACTIVE, IPA in range", () => {
  const { rm } = boot();
  const v = newVrtc(rm);
  const as = makeAddrspace(rm, 0x80);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VRTC_ATTACH_ADDRSPACE, v, as);
  ok(rm.hvc, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
  activate(rm, v);
  expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.VRTC_ATTACH_ADDRSPACE, v, as, 1n);
  const noRight = restricted(rm, v, Rights.vrtc.CONFIGURE | Rights.vrtc.SET_TIME_BASE);
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, Call.VRTC_ATTACH_ADDRSPACE, noRight, as);
  const asNoMap = restricted(rm, as, Rights.addrspace.ATTACH);
  expectError(rm.hvc, HypError.CSPACE_INSUFFICIENT_RIGHTS, Call.VRTC_ATTACH_ADDRSPACE, v, asNoMap);
  expectError(rm.hvc, HypError.CSPACE_WRONG_OBJECT_TYPE, Call.VRTC_ATTACH_ADDRSPACE, v, v);
  const initAs = create(rm, "addrspace");
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.VRTC_ATTACH_ADDRSPACE, v, initAs);
  ok(rm.hvc, Call.VRTC_ATTACH_ADDRSPACE, v, as);
  // Attaching again replaces the first (its reference is dropped, nothing leaks).
  ok(rm.hvc, Call.VRTC_ATTACH_ADDRSPACE, v, as);
  // An IPA beyond the address space's 44 bits is refused at attach, as addrspace_check_range does.
  const far = newVrtc(rm);
  ok(rm.hvc, Call.VRTC_CONFIGURE, far, 1n << 44n);
  activate(rm, far);
  expectError(rm.hvc, HypError.ADDR_INVALID, Call.VRTC_ATTACH_ADDRSPACE, far, as);
});

test("the address space keeps the vRTC alive after its cap is deleted, and frees it when destroyed", () => {
  const { hyp, rm } = boot();
  const before = hyp.stats().objects.vrtc;
  const v = newVrtc(rm);
  const as = makeAddrspace(rm, 0x81);
  ok(rm.hvc, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
  activate(rm, v);
  ok(rm.hvc, Call.VRTC_ATTACH_ADDRSPACE, v, as);
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, v);
  assert.equal(hyp.stats().objects.vrtc, before + 1);
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, as);
  assert.equal(hyp.stats().objects.vrtc, before);
});

/** A fake counter at 62.5 MHz that the test moves by hand. */
function fakeRtc(): { rtc: Vrtc; clock: { ticks: bigint; now(): bigint; frequency: number } } {
  const clock = { ticks: 1000n, now: () => clock.ticks, frequency: 62_500_000 };
  const rtc = new Vrtc(new ObjectRegistry(), clock);
  assert.equal(rtc.configure(RTC_IPA), HypError.OK);
  assert.equal(rtc.activate(), HypError.OK);
  return { rtc, clock };
}

const read = (rtc: Vrtc, off: number, size = 4) =>
  rtc.access({ ipa: RTC_IPA + off, size, isWrite: false, value: 0n });
const write = (rtc: Vrtc, off: number, value: bigint) =>
  rtc.access({ ipa: RTC_IPA + off, size: 4, isWrite: true, value });

test("PL031 registers: RTCDR counts seconds from the time base; RTCLR sets a new base", () => {
  const { rtc, clock } = fakeRtc();
  // The reference was taken 2 s of counter before the call: RTCDR already shows +2.
  clock.ticks += 125_000_000n;
  assert.equal(rtc.setTimeBase(BASE_SECONDS * NS, clock.ticks - 125_000_000n), HypError.OK);
  assert.deepEqual(read(rtc, 0x000), { kind: "emulated", value: BASE_SECONDS + 2n });
  assert.deepEqual(read(rtc, 0x008), { kind: "emulated", value: BASE_SECONDS });
  clock.ticks += 62_500_000n * 10n - 1n; // 9.99... s later: still the same second + 9
  assert.deepEqual(read(rtc, 0x000), { kind: "emulated", value: BASE_SECONDS + 11n });
  clock.ticks += 1n;
  assert.deepEqual(read(rtc, 0x000), { kind: "emulated", value: BASE_SECONDS + 12n });
  write(rtc, 0x008, 1000n);
  assert.deepEqual(read(rtc, 0x000), { kind: "emulated", value: 1000n });
  assert.deepEqual(read(rtc, 0x008), { kind: "emulated", value: 1000n });
  clock.ticks += 62_500_000n * 3n;
  assert.deepEqual(read(rtc, 0x000), { kind: "emulated", value: 1003n });
});

test("PL031 registers: RTCCR reads 1, match/interrupt registers RAZ/WI, PrimeCell IDs", () => {
  const { rtc } = fakeRtc();
  assert.deepEqual(read(rtc, 0x00c), { kind: "emulated", value: 1n });
  for (const off of [0x004, 0x010, 0x014, 0x018, 0x01c, 0x00c, 0x000]) {
    if (off === 0x000) continue; // RTCDR is not written here
    write(rtc, off, 0xffff_ffffn);
    const expected = off === 0x00c ? 1n : 0n;
    assert.deepEqual(
      read(rtc, off),
      { kind: "emulated", value: expected },
      `0x${off.toString(16)}`,
    );
  }
  const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => {
    const r = read(rtc, o);
    return r.kind === "emulated" ? Number(r.value) : -1;
  });
  assert.deepEqual(ids, [0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  // Unused offsets read as zero; only aligned 32-bit accesses are emulated.
  assert.deepEqual(read(rtc, 0x800), { kind: "emulated", value: 0n });
  assert.deepEqual(read(rtc, 0x000, 1), { kind: "fault" });
  assert.deepEqual(read(rtc, 0x000, 8), { kind: "fault" });
  assert.deepEqual(read(rtc, 0x002, 4), { kind: "fault" });
  assert.equal(rtc.claims(RTC_IPA + VRTC_DEV_SIZE - 4, 4), true);
  assert.equal(rtc.claims(RTC_IPA + VRTC_DEV_SIZE - 4, 8), false);
  assert.equal(rtc.claims(RTC_IPA - 4, 4), false);
});

test("a guest reads and writes the PL031 without an exit; the next page is still VMMIO", () => {
  const { hyp, rm } = boot();
  const g = buildGuest(rm);
  const pa = mapIntoRoot(rm, g);
  // The whole device window is VMMIO, as the RM registers it: the vRTC comes first.
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, 0x0900_0000n, 0x10_0000n, 0n);
  const v = newVrtc(rm);
  ok(rm.hvc, Call.VRTC_CONFIGURE, v, BigInt(RTC_IPA));
  activate(rm, v);
  ok(rm.hvc, Call.VRTC_ATTACH_ADDRSPACE, v, g.addrspace);
  ok(rm.hvc, Call.VRTC_SET_TIME_BASE, v, BASE_SECONDS * NS, hyp.clock.now());
  const OUT = GUEST_RAM_IPA + 0x800;
  const program = [
    ...mov32(0, RTC_IPA),
    ...mov32(2, OUT),
    A64.ldrW(1, 0, 0xfe0),
    A64.strW(1, 2, 0),
    A64.ldrW(1, 0, 0xffc),
    A64.strW(1, 2, 4),
    A64.ldrW(1, 0, 0x000), // RTCDR
    A64.strW(1, 2, 8),
    ...mov32(1, 1000),
    A64.strW(1, 0, 0x008), // RTCLR = 1000
    A64.ldrW(1, 0, 0x000),
    A64.strW(1, 2, 12),
    A64.ldrW(1, 0, 0x00c), // RTCCR
    A64.strW(1, 2, 16),
    ...mov32(3, RTC_IPA + 0x1000),
    A64.ldrW(1, 3, 0), // not the vRTC: a VMMIO exit
    A64.spin(),
  ];
  assert.ok(rm.memory.write(pa, assemble(program)).ok);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const r = run(rm, g.vcpus[0]!);
  assert.deepEqual(r.slice(0, 4), [
    0n,
    BigInt(VcpuRunState.ADDRSPACE_VMMIO_READ),
    BigInt(RTC_IPA + 0x1000),
    4n,
  ]);
  const out = rm.memory.read(pa + 0x800, 20);
  assert.ok(out.ok);
  const w = new DataView(out.value.buffer, out.value.byteOffset);
  const words = [0, 4, 8, 12, 16].map((o) => w.getUint32(o, true));
  assert.deepEqual(words, [0x31, 0xb1, Number(BASE_SECONDS), 1000, 1]);
  assert.equal(hyp.vcpuStats()[0]?.exits["vrtc-mmio"], 6);
});

test("a VM without a vRTC: the same page is plain VMMIO", () => {
  const { rm } = boot();
  const g = buildGuest(rm);
  const pa = mapIntoRoot(rm, g);
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, g.addrspace, 0x0900_0000n, 0x10_0000n, 0n);
  assert.ok(rm.memory.write(pa, assemble([...mov32(0, RTC_IPA), A64.ldrW(1, 0), A64.spin()])).ok);
  ok(rm.hvc, Call.VCPU_POWERON, g.vcpus[0]!, BigInt(GUEST_RAM_IPA), 0n, 0n);
  const r = run(rm, g.vcpus[0]!);
  assert.deepEqual(r.slice(0, 3), [0n, BigInt(VcpuRunState.ADDRSPACE_VMMIO_READ), BigInt(RTC_IPA)]);
  assert.equal(call(rm.hvc, Call.VRTC_CONFIGURE, 0n, 0x1001n)[0], HypError.ADDR_INVALID);
});
