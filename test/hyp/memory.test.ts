// Memory ownership, extents, donation and address spaces, through the hypercalls the
// RM and the host use (ARCHITECTURE.md "Memory": lend = TO_PROTECTED, share =
// TO_SIBLING, reclaim = FROM_PROTECTED / TO_SIBLING).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DonateType, HypError, MapFlags, hypercallId } from "../../src/hyp/abi/index.js";
import type { NativeVm, RootVm } from "../../src/hyp/abi/port.js";
import type { Hypervisor } from "../../src/hyp/index.js";
import { fakeFactory } from "./fake-cpu.js";
import { buildGuest } from "./guest.js";
import {
  Access,
  Call,
  MemextentType,
  boot,
  create,
  deriveExtent,
  expectError,
  makeAddrspace,
  mappingAttrs,
  ok,
} from "./helpers.js";

const PAGE = 0x1000;
const HOST_RAM = 4 << 20;
const RW = mappingAttrs(Access.RW);
const RWX = mappingAttrs(Access.RWX);
const PARTIAL = BigInt(MapFlags.PARTIAL);

interface HostSetup {
  hyp: Hypervisor;
  rm: RootVm;
  host: NativeVm;
  hostRam: bigint;
  base: number;
  guestAs: bigint;
  guestPrivate: bigint;
  guestShared: bigint;
  cpus: ReturnType<typeof fakeFactory>["cpus"];
}

/** The platform's host (VMID 3, RAM IPA == PA) and one guest's sparse extents. */
function hostSetup(): HostSetup {
  const f = fakeFactory();
  const { hyp, rm } = boot({ cpuFactory: f.factory });
  const base = rm.caps.ramBase;
  const hostCs = create(rm, "cspace");
  ok(rm.hvc, Call.CSPACE_CONFIGURE, hostCs, 64n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, hostCs);
  const hostAs = makeAddrspace(rm, 3);
  const hostRam = deriveExtent(rm, rm.caps.memextent, 0, HOST_RAM);
  ok(rm.hvc, Call.ADDRSPACE_MAP, hostAs, hostRam, BigInt(base), RWX, 0n, 0n, 0n);
  const { vm: host } = hyp.createNativeVm(rm, { vmid: 3, cspace: hostCs, addrspace: hostAs });
  const guestPrivate = deriveExtent(rm, rm.caps.memextent, 0, HOST_RAM, MemextentType.SPARSE);
  const guestShared = deriveExtent(rm, rm.caps.memextent, 0, HOST_RAM, MemextentType.SPARSE);
  const g = buildGuest(rm, { ramOffset: 8 << 20, vmid: 0x80 });
  return {
    hyp,
    rm,
    host,
    hostRam,
    base,
    guestAs: g.addrspace,
    guestPrivate,
    guestShared,
    cpus: f.cpus,
  };
}

test("a lent page is unreachable from the host view; reclaim restores it with its data", () => {
  const s = hostSetup();
  const { rm, host, base } = s;
  const pa = base + 5 * PAGE;
  assert.ok(host.memory.write(pa, new Uint8Array([0xde, 0xad])).ok);
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_PROTECTED),
    s.hostRam,
    s.guestPrivate,
    BigInt(5 * PAGE),
    BigInt(PAGE),
  );
  assert.deepEqual(host.memory.read(pa, 2), { ok: false, error: HypError.ADDR_INVALID });
  assert.deepEqual(host.memory.write(pa, new Uint8Array(1)), {
    ok: false,
    error: HypError.ADDR_INVALID,
  });
  assert.ok(host.memory.read(pa + PAGE, 1).ok, "the neighbour page stays the host's");
  // The guest maps the lent page; a page the guest extent does not own cannot be mapped.
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    s.guestAs,
    s.guestPrivate,
    0x4800_0000n,
    RWX,
    PARTIAL,
    BigInt(5 * PAGE),
    BigInt(PAGE),
  );
  expectError(
    rm.hvc,
    HypError.MEMDB_NOT_OWNER,
    Call.ADDRSPACE_MAP,
    s.guestAs,
    s.guestPrivate,
    0x4800_1000n,
    RWX,
    PARTIAL,
    BigInt(6 * PAGE),
    BigInt(PAGE),
  );
  // Donating it again from the host fails: the host no longer owns it.
  expectError(
    rm.hvc,
    HypError.MEMDB_NOT_OWNER,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_PROTECTED),
    s.hostRam,
    s.guestPrivate,
    BigInt(5 * PAGE),
    BigInt(PAGE),
  );
  // Reclaim: unmap, donate back.
  ok(
    rm.hvc,
    Call.ADDRSPACE_UNMAP,
    s.guestAs,
    s.guestPrivate,
    0x4800_0000n,
    PARTIAL,
    BigInt(5 * PAGE),
    BigInt(PAGE),
  );
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.FROM_PROTECTED),
    s.guestPrivate,
    s.hostRam,
    BigInt(5 * PAGE),
    BigInt(PAGE),
  );
  const back = host.memory.read(pa, 2);
  assert.ok(back.ok);
  assert.deepEqual([...back.value], [0xde, 0xad]);
});

test("a shared page stays in the host's view and is mapped by the guest too", () => {
  const s = hostSetup();
  const { rm, host, base } = s;
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_SIBLING),
    s.hostRam,
    s.guestShared,
    BigInt(2 * PAGE),
    BigInt(2 * PAGE),
  );
  assert.ok(host.memory.write(base + 2 * PAGE, new Uint8Array([7])).ok);
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    s.guestAs,
    s.guestShared,
    0x4900_0000n,
    RW,
    PARTIAL | BigInt(MapFlags.VMMIO), // Linux's share mapping flags
    BigInt(2 * PAGE),
    BigInt(2 * PAGE),
  );
  const [e, off, size, attrs] = [
    ...rm.hvc.hvc(hypercallId(Call.ADDRSPACE_LOOKUP), [
      s.guestAs,
      s.guestShared,
      0x4900_0000n,
      BigInt(4 * PAGE),
      0n,
    ]),
  ];
  assert.equal(e, 0n);
  assert.equal(off, BigInt(2 * PAGE));
  assert.equal(size, BigInt(2 * PAGE));
  assert.equal(attrs! & 0x77n, 0x66n);
  // Unshare: the guest unmaps, the page goes back; the host never lost it.
  ok(
    rm.hvc,
    Call.ADDRSPACE_UNMAP,
    s.guestAs,
    s.guestShared,
    0x4900_0000n,
    PARTIAL,
    BigInt(2 * PAGE),
    BigInt(2 * PAGE),
  );
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_SIBLING),
    s.guestShared,
    s.hostRam,
    BigInt(2 * PAGE),
    BigInt(2 * PAGE),
  );
  assert.ok(host.memory.read(base + 2 * PAGE, 1).ok);
});

test("donating a mapped page away unmaps it from every address space and invalidates their CPUs", () => {
  const s = hostSetup();
  const { rm } = s;
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_SIBLING),
    s.hostRam,
    s.guestShared,
    0n,
    BigInt(PAGE),
  );
  ok(
    rm.hvc,
    Call.ADDRSPACE_MAP,
    s.guestAs,
    s.guestShared,
    0x4900_0000n,
    RW,
    PARTIAL,
    0n,
    BigInt(PAGE),
  );
  const cpu = s.cpus[0]!;
  const before = cpu.invalidations;
  // TO_PROTECTED from the shared extent (a sibling): the guest's mapping of it goes.
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_PROTECTED),
    s.guestShared,
    s.guestPrivate,
    0n,
    BigInt(PAGE),
  );
  assert.ok(cpu.invalidations > before);
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.ADDRSPACE_LOOKUP,
    s.guestAs,
    s.guestShared,
    0x4900_0000n,
    BigInt(PAGE),
  );
});

test("mapping a page does not invalidate the CPUs (nothing can be cached about it); unmapping does", () => {
  const s = hostSetup();
  const { rm } = s;
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.TO_SIBLING),
    s.hostRam,
    s.guestShared,
    0n,
    BigInt(PAGE),
  );
  const cpu = s.cpus[0]!;
  const before = cpu.invalidations;
  const map = [s.guestAs, s.guestShared, 0x4900_0000n, RW, PARTIAL, 0n, BigInt(PAGE)] as const;
  ok(rm.hvc, Call.ADDRSPACE_MAP, ...map);
  assert.equal(cpu.invalidations, before, "map: no invalidation");
  const unmap = [s.guestAs, s.guestShared, 0x4900_0000n, PARTIAL, 0n, BigInt(PAGE)] as const;
  ok(rm.hvc, Call.ADDRSPACE_UNMAP, ...unmap);
  assert.equal(cpu.invalidations, before + 1, "unmap: one invalidation");
});

test("donate argument checks: alignment, size, range, relation, options, ownership", () => {
  const s = hostSetup();
  const { rm } = s;
  const d = (type: number, from: bigint, to: bigint, off: number, size: number, expected: number) =>
    expectError(
      rm.hvc,
      expected,
      Call.MEMEXTENT_DONATE,
      BigInt(type),
      from,
      to,
      BigInt(off),
      BigInt(size),
    );
  d(DonateType.TO_SIBLING, s.hostRam, s.guestShared, 0x10, PAGE, HypError.ARGUMENT_ALIGNMENT);
  d(DonateType.TO_SIBLING, s.hostRam, s.guestShared, 0, 0, HypError.ARGUMENT_SIZE);
  d(DonateType.TO_SIBLING, s.hostRam, s.guestShared, HOST_RAM, PAGE, HypError.ARGUMENT_INVALID);
  d(DonateType.TO_CHILD, s.hostRam, s.guestShared, 0, PAGE, HypError.ARGUMENT_INVALID);
  d(9, s.hostRam, s.guestShared, 0, PAGE, HypError.ARGUMENT_INVALID);
  d(DonateType.TO_SIBLING, s.guestShared, s.hostRam, 0, PAGE, HypError.MEMDB_NOT_OWNER);
  // Gunyah's order: an offset past the physical address space is ARGUMENT_INVALID,
  // a wrapping size ARGUMENT_SIZE.
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MEMEXTENT_DONATE,
    2n,
    s.hostRam,
    s.guestShared,
    (1n << 64n) - 4096n,
    4096n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_SIZE,
    Call.MEMEXTENT_DONATE,
    2n,
    s.hostRam,
    s.guestShared,
    4096n,
    (1n << 64n) - 4096n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MEMEXTENT_DONATE,
    1n << 20n,
    s.hostRam,
    s.guestShared,
    0n,
    4096n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MEMEXTENT_DONATE,
    2n,
    s.hostRam,
    s.guestShared,
    0n,
    4096n,
    1n,
  );
});

test("extents: BASIC derivation takes ownership; an overlapping sibling fails activation", () => {
  const { hyp, rm } = boot();
  const baseline = hyp.stats();
  const a = deriveExtent(rm, rm.caps.memextent, 0, 2 * PAGE);
  assert.equal(
    Object.values(hyp.stats().pages).filter((n) => n === 2).length,
    1,
    "the child owns 2 pages",
  );
  const b = create(rm, "memextent");
  ok(
    rm.hvc,
    Call.MEMEXTENT_CONFIGURE_DERIVE,
    b,
    rm.caps.memextent,
    BigInt(PAGE),
    BigInt(2 * PAGE),
    7n,
  );
  expectError(rm.hvc, HypError.MEMDB_NOT_OWNER, Call.OBJECT_ACTIVATE, b);
  expectError(rm.hvc, HypError.OBJECT_STATE, Call.OBJECT_ACTIVATE, b);
  // Configure errors.
  const c = create(rm, "memextent");
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MEMEXTENT_CONFIGURE_DERIVE,
    c,
    rm.caps.memextent,
    0n,
    BigInt(PAGE),
    1n << 20n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_SIZE,
    Call.MEMEXTENT_CONFIGURE_DERIVE,
    c,
    rm.caps.memextent,
    0n,
    BigInt(128 << 20),
    7n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_ALIGNMENT,
    Call.MEMEXTENT_CONFIGURE_DERIVE,
    c,
    rm.caps.memextent,
    1n,
    BigInt(PAGE),
    7n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.MEMEXTENT_CONFIGURE,
    c,
    BigInt(rm.caps.ramBase),
    BigInt(PAGE),
    1n << 16n,
  );
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.MEMEXTENT_CONFIGURE,
    c,
    0x1000n,
    BigInt(PAGE),
    7n,
  );
  expectError(rm.hvc, HypError.OBJECT_CONFIG, Call.OBJECT_ACTIVATE, c);
  // Deleting the child gives its pages back to the parent.
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, a);
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, b);
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, c);
  assert.deepEqual(hyp.stats(), baseline);
  const again = deriveExtent(rm, rm.caps.memextent, 0, 3 * PAGE);
  assert.ok(again);
});

test("addrspace_map checks: alignment, overflow, existing mapping, access, reserved bits", () => {
  const { rm } = boot();
  const as = makeAddrspace(rm, 0x81);
  const me = deriveExtent(rm, rm.caps.memextent, 0, 4 * PAGE, MemextentType.BASIC, Access.RW);
  const map = (
    vbase: bigint,
    attrs: bigint,
    flags: bigint,
    off: bigint,
    size: bigint,
    expected: number,
  ) => expectError(rm.hvc, expected, Call.ADDRSPACE_MAP, as, me, vbase, attrs, flags, off, size);
  map(0x4000_0800n, RW, 0n, 0n, 0n, HypError.ARGUMENT_ALIGNMENT);
  map((1n << 64n) - 4096n, RW, 0n, 0n, 0n, HypError.ADDR_OVERFLOW);
  map(0x4000_0000n, RWX, 0n, 0n, 0n, HypError.ARGUMENT_INVALID); // beyond the extent's access
  map(0x4000_0000n, RW | (1n << 40n), 0n, 0n, 0n, HypError.ARGUMENT_INVALID);
  map(0x4000_0000n, RW, 1n << 5n, 0n, 0n, HypError.ARGUMENT_INVALID);
  map(0x4000_0000n, RW, PARTIAL, BigInt(3 * PAGE), BigInt(2 * PAGE), HypError.ARGUMENT_SIZE);
  map(0x4000_0000n, RW, PARTIAL, 0x10n, BigInt(PAGE), HypError.ARGUMENT_ALIGNMENT);
  map(0x4000_0000n, RW, PARTIAL, BigInt(PAGE), (1n << 64n) - 1n, HypError.ARGUMENT_ALIGNMENT);
  map(0x4000_0000n, RW, PARTIAL, BigInt(PAGE), (1n << 64n) - 4096n, HypError.ARGUMENT_SIZE);
  map(0x4000_0000n, RW, PARTIAL, 0n, 0n, HypError.ARGUMENT_SIZE);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, me, 0x4000_0000n, RW, 0n, 0n, 0n);
  map(0x4000_3000n, RW, PARTIAL, 0n, BigInt(PAGE), HypError.EXISTING_MAPPING);
  // update_access: read-only now; NOSYNC is accepted.
  ok(
    rm.hvc,
    Call.ADDRSPACE_UPDATE_ACCESS,
    as,
    me,
    0x4000_0000n,
    0x44n,
    BigInt(MapFlags.NOSYNC),
    0n,
    0n,
  );
  const [e, , , attrs] = [
    ...rm.hvc.hvc(hypercallId(Call.ADDRSPACE_LOOKUP), [as, me, 0x4000_0000n, BigInt(PAGE), 0n]),
  ];
  assert.equal(e, 0n);
  assert.equal(attrs! & 0x77n, 0x44n);
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.ADDRSPACE_UPDATE_ACCESS,
    as,
    me,
    0x5000_0000n,
    0x44n,
    PARTIAL,
    0n,
    BigInt(PAGE),
  );
  ok(rm.hvc, Call.ADDRSPACE_UNMAP, as, me, 0x4000_0000n, 0n, 0n, 0n);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, me, 0x4000_3000n, RW, PARTIAL, 0n, BigInt(PAGE));
});

test("VMMIO ranges: byte-granular, at most 128, no overlap, removal by exact match, INIT or ACTIVE", () => {
  const { rm } = boot();
  const as = create(rm, "addrspace"); // still INIT: ranges may be set before activation
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE, as, 0x82n);
  expectError(rm.hvc, HypError.ARGUMENT_SIZE, Call.ADDRSPACE_CONFIGURE_VMMIO, as, 0x1000n, 0n, 0n);
  expectError(
    rm.hvc,
    HypError.ADDR_OVERFLOW,
    Call.ADDRSPACE_CONFIGURE_VMMIO,
    as,
    (1n << 64n) - 2n,
    4n,
    0n,
  );
  expectError(
    rm.hvc,
    HypError.UNIMPLEMENTED,
    Call.ADDRSPACE_CONFIGURE_VMMIO,
    as,
    0x1000n,
    0x10n,
    2n,
  );
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, as, 0x900_0000n, 0x10n, 0n); // not page-sized
  ok(rm.hvc, Call.OBJECT_ACTIVATE, as);
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.ADDRSPACE_CONFIGURE_VMMIO,
    as,
    0x900_000fn,
    0x10n,
    0n,
  );
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, as, 0x900_0010n, 0x10n, 0n); // adjacent is fine
  for (let i = 2; i < 128; i++)
    ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, as, BigInt(0x1000_0000 + i * 0x2000), 0x1000n, 0n);
  expectError(
    rm.hvc,
    HypError.NORESOURCES,
    Call.ADDRSPACE_CONFIGURE_VMMIO,
    as,
    0x2000_0000n,
    0x1000n,
    0n,
  );
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.ADDRSPACE_CONFIGURE_VMMIO,
    as,
    0x900_0000n,
    0x20n,
    1n,
  );
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, as, 0x900_0000n, 0x10n, 1n);
  expectError(
    rm.hvc,
    HypError.ARGUMENT_INVALID,
    Call.ADDRSPACE_CONFIGURE_VMMIO,
    as,
    0x900_0000n,
    0x10n,
    1n,
  );
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE_VMMIO, as, 0x2000_0000n, 0x1000n, 0n);
});

test("address spaces: VMIDs 1..255, one active address space per VMID", () => {
  const { rm } = boot();
  for (const bad of [0n, 256n]) {
    const as = create(rm, "addrspace");
    expectError(rm.hvc, HypError.ARGUMENT_INVALID, Call.ADDRSPACE_CONFIGURE, as, bad);
  }
  const a = makeAddrspace(rm, 0x90);
  const b = create(rm, "addrspace");
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE, b, 0x90n);
  expectError(rm.hvc, HypError.BUSY, Call.OBJECT_ACTIVATE, b);
  const root = create(rm, "addrspace");
  ok(rm.hvc, Call.ADDRSPACE_CONFIGURE, root, 0xffn);
  expectError(rm.hvc, HypError.BUSY, Call.OBJECT_ACTIVATE, root); // the root VM holds 0xff
  ok(rm.hvc, Call.CSPACE_DELETE_CAP_FROM, rm.caps.cspace, a);
  makeAddrspace(rm, 0x90);
});

test("unmap skips pages that are not mapped by the extent there (Gunyah's unmap_matching)", () => {
  const { rm } = boot();
  const as = makeAddrspace(rm, 0x83);
  const m1 = deriveExtent(rm, rm.caps.memextent, 0, 2 * PAGE);
  const m2 = deriveExtent(rm, rm.caps.memextent, 2 * PAGE, PAGE);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, m1, 0x4000_0000n, RW, PARTIAL, 0n, BigInt(PAGE));
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, m2, 0x4000_1000n, RW, 0n, 0n, 0n);
  ok(rm.hvc, Call.ADDRSPACE_UNMAP, as, m1, 0x4000_0000n, 0n, 0n, 0n);
  const r = rm.hvc.hvc(hypercallId(Call.ADDRSPACE_LOOKUP), [
    as,
    m2,
    0x4000_1000n,
    BigInt(PAGE),
    0n,
  ]);
  assert.equal(r[0], 0n, "m2's page survived an unmap of m1 over it");
  expectError(
    rm.hvc,
    HypError.ADDR_INVALID,
    Call.ADDRSPACE_LOOKUP,
    as,
    m1,
    0x4000_0000n,
    BigInt(PAGE),
  );
});

test("createNativeVm: the host's port uses its own cspace; its vic cap lands in the root's cspace", async () => {
  const s = hostSetup();
  const { rm, host } = s;
  // The root's caps mean nothing to the host.
  const [e] = [...host.hvc.hvc(hypercallId(Call.OBJECT_ACTIVATE), [rm.caps.partition, 0n])];
  assert.notEqual(e, 0n);
  // Give the host a msgqueue cap and let it send from its own RAM.
  const mq = ok(rm.hvc, Call.PARTITION_CREATE_MSGQUEUE, rm.caps.partition, rm.caps.cspace);
  ok(rm.hvc, Call.MSGQUEUE_CONFIGURE, mq, 0x00f0_0008n);
  ok(rm.hvc, Call.OBJECT_ACTIVATE, mq);
  assert.ok(host.memory.write(s.base, new Uint8Array([1, 2, 3])).ok);
  assert.deepEqual([...host.hvc.hvc(hypercallId(Call.HYPERVISOR_IDENTIFY), [])].length >= 4, true);
});

test("protected donation is one way: reverse TO_PROTECTED, onward donation and FROM_PROTECTED of unlent pages are refused", () => {
  // Fidelity item 4 (adversarial finding): guest-private -> host RAM by TO_PROTECTED
  // used to succeed, hiding the guest's mappings behind the host's extent. Public
  // Gunyah (hyp/mem/memextent/src/hypercalls.c) refuses any donate type it does not
  // define with ARGUMENT_INVALID; the protected types follow the v17 driver (lend =
  // TO_PROTECTED host -> guest, reclaim = FROM_PROTECTED guest -> host).
  const s = hostSetup();
  const { rm, host, base } = s;
  const d = (type: number, from: bigint, to: bigint, off: number, expected: number) =>
    expectError(
      rm.hvc,
      expected,
      Call.MEMEXTENT_DONATE,
      BigInt(type),
      from,
      to,
      BigInt(off),
      BigInt(PAGE),
    );
  const lend = (off: number) =>
    ok(
      rm.hvc,
      Call.MEMEXTENT_DONATE,
      BigInt(DonateType.TO_PROTECTED),
      s.hostRam,
      s.guestPrivate,
      BigInt(off),
      BigInt(PAGE),
    );
  // FROM_PROTECTED of a page that was never lent (the host owns it): refused, not moved.
  d(DonateType.FROM_PROTECTED, s.hostRam, s.guestPrivate, 7 * PAGE, HypError.ARGUMENT_INVALID);
  assert.ok(host.memory.read(base + 7 * PAGE, 1).ok, "page 7 is still the host's");
  lend(7 * PAGE);
  d(DonateType.TO_PROTECTED, s.guestPrivate, s.hostRam, 7 * PAGE, HypError.ARGUMENT_INVALID);
  d(DonateType.TO_SIBLING, s.guestPrivate, s.hostRam, 7 * PAGE, HypError.ARGUMENT_INVALID);
  d(DonateType.TO_SIBLING, s.guestPrivate, s.guestShared, 7 * PAGE, HypError.ARGUMENT_INVALID);
  d(DonateType.FROM_PROTECTED, s.guestPrivate, s.guestShared, 7 * PAGE, HypError.ARGUMENT_INVALID);
  assert.ok(!host.memory.read(base + 7 * PAGE, 1).ok, "still lent: nothing moved");
  // The way back works, and afterwards the page is the host's to lend again.
  ok(
    rm.hvc,
    Call.MEMEXTENT_DONATE,
    BigInt(DonateType.FROM_PROTECTED),
    s.guestPrivate,
    s.hostRam,
    BigInt(7 * PAGE),
    BigInt(PAGE),
  );
  assert.ok(host.memory.read(base + 7 * PAGE, 1).ok);
  d(DonateType.FROM_PROTECTED, s.guestPrivate, s.hostRam, 7 * PAGE, HypError.ARGUMENT_INVALID);
  lend(7 * PAGE);
});
