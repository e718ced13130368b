// Long mappings are kept as one range (src/hyp/mapping.ts, RUN_MIN_PAGES): the same
// checks and results as page by page, through the hypercalls: lookups see one
// contiguous mapping, overlaps are EXISTING_MAPPING with nothing mapped, partial
// unmaps and donations take single pages out of the range, protected pages come back
// into it, and destroying either side drops the whole range.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DonateType, HypError, MapFlags, hypercallId } from "../../src/hyp/abi/index.js";
import type { RootVm } from "../../src/hyp/abi/port.js";
import { RUN_MIN_PAGES } from "../../src/hyp/mapping.js";
import {
  Access,
  Call,
  MemextentType,
  boot,
  deleteCap,
  deriveExtent,
  expectError,
  makeAddrspace,
  mappingAttrs,
  ok,
} from "./helpers.js";

const PAGE = 0x1000;
const PAGES = 256; // 1 MiB: a run (RUN_MIN_PAGES is far smaller)
const IPA = 0x4000_0000;
const RW = mappingAttrs(Access.RW);
const PARTIAL = BigInt(MapFlags.PARTIAL);

/** addrspace_lookup at page `page` of the window: [error, offset, size] in pages. */
function lookup(rm: RootVm, as: bigint, me: bigint, page: number, pages = PAGES): number[] {
  const r = rm.hvc.hvc(hypercallId(Call.ADDRSPACE_LOOKUP), [
    as,
    me,
    BigInt(IPA + page * PAGE),
    BigInt(pages * PAGE),
    0n,
  ]);
  return [Number(r[0]), Number(r[1]) / PAGE, Number(r[2]) / PAGE];
}

function setup() {
  const { hyp, rm } = boot();
  const as = makeAddrspace(rm, 0x81);
  const me = deriveExtent(rm, rm.caps.memextent, 0, PAGES * PAGE);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, me, BigInt(IPA), RW, 0n, 0n, 0n);
  return { hyp, rm, as, me };
}

const ADDR_INVALID = HypError.ADDR_INVALID;

test("a long map is one contiguous mapping; any overlap is EXISTING_MAPPING and maps nothing", () => {
  assert.ok(PAGES >= RUN_MIN_PAGES);
  const { rm, as, me } = setup();
  assert.deepEqual(lookup(rm, as, me, 0), [0, 0, PAGES]);
  assert.deepEqual(lookup(rm, as, me, 200), [0, 200, PAGES - 200]);
  const other = deriveExtent(rm, rm.caps.memextent, PAGES * PAGE, 64 * PAGE);
  // Its last page, its first page, all of it: refused, and nothing of `other` mapped.
  for (const at of [PAGES - 1, -63, 0]) {
    expectError(
      rm.hvc,
      HypError.EXISTING_MAPPING,
      Call.ADDRSPACE_MAP,
      as,
      other,
      BigInt(IPA + at * PAGE),
      RW,
      0n,
      0n,
      0n,
    );
    const [e] = lookup(rm, as, other, Math.max(at, PAGES), 1);
    assert.equal(e, ADDR_INVALID);
  }
  assert.equal(lookup(rm, as, other, -63, 1)[0], ADDR_INVALID);
  // Right after it: fine, and a lookup across the boundary stops at the extent's end.
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, other, BigInt(IPA + PAGES * PAGE), RW, 0n, 0n, 0n);
  assert.deepEqual(lookup(rm, as, me, 0, 2 * PAGES), [0, 0, PAGES]);
  assert.deepEqual(lookup(rm, as, other, PAGES, 64), [0, 0, 64]);
});

test("a refused map leaves nothing behind: not owned, or one page already mapped", () => {
  const { rm, as } = setup();
  const sparse = deriveExtent(rm, rm.caps.memextent, 0, PAGES * PAGE, MemextentType.SPARSE);
  const at = BigInt(IPA + 2 * PAGES * PAGE);
  expectError(rm.hvc, HypError.MEMDB_NOT_OWNER, Call.ADDRSPACE_MAP, as, sparse, at, RW, 0n, 0n, 0n);
  // One page of a second extent, then a range map ending on it.
  const single = deriveExtent(rm, rm.caps.memextent, 2 * PAGES * PAGE, PAGE);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, single, at + BigInt(63 * PAGE), RW, 0n, 0n, 0n);
  const range = deriveExtent(rm, rm.caps.memextent, 3 * PAGES * PAGE, 64 * PAGE);
  expectError(rm.hvc, HypError.EXISTING_MAPPING, Call.ADDRSPACE_MAP, as, range, at, RW, 0n, 0n, 0n);
  assert.equal(lookup(rm, as, range, 2 * PAGES, 64)[0], ADDR_INVALID);
  assert.equal(lookup(rm, as, sparse, 2 * PAGES, 64)[0], ADDR_INVALID);
});

test("a partial unmap takes pages out of the range; the hole can be mapped again", () => {
  const { rm, as, me } = setup();
  const unmap = (page: number, pages: number) =>
    ok(
      rm.hvc,
      Call.ADDRSPACE_UNMAP,
      as,
      me,
      BigInt(IPA + page * PAGE),
      PARTIAL,
      BigInt(page * PAGE),
      BigInt(pages * PAGE),
    );
  unmap(16, 16);
  assert.deepEqual(lookup(rm, as, me, 0), [0, 0, 16]);
  assert.equal(lookup(rm, as, me, 16)[0], ADDR_INVALID);
  assert.equal(lookup(rm, as, me, 31)[0], ADDR_INVALID);
  assert.deepEqual(lookup(rm, as, me, 32), [0, 32, PAGES - 32]);
  // Unmapping the hole again is a no-op (unmap_matching skips unmapped pages).
  unmap(8, 32);
  assert.deepEqual(lookup(rm, as, me, 0), [0, 0, 8]);
  // Mapping one page too many into the hole: EXISTING_MAPPING, the hole stays empty.
  const remap = (page: number, pages: number) => [
    as,
    me,
    BigInt(IPA + page * PAGE),
    RW,
    PARTIAL,
    BigInt(page * PAGE),
    BigInt(pages * PAGE),
  ];
  expectError(rm.hvc, HypError.EXISTING_MAPPING, Call.ADDRSPACE_MAP, ...remap(8, 33));
  assert.equal(lookup(rm, as, me, 8)[0], ADDR_INVALID);
  ok(rm.hvc, Call.ADDRSPACE_MAP, ...remap(8, 32));
  assert.deepEqual(lookup(rm, as, me, 0), [0, 0, PAGES], "contiguous again");
  // Access changes on part of the range split the lookup there.
  ok(
    rm.hvc,
    Call.ADDRSPACE_UPDATE_ACCESS,
    as,
    me,
    BigInt(IPA + 100 * PAGE),
    BigInt(Access.R),
    PARTIAL,
    BigInt(100 * PAGE),
    BigInt(10 * PAGE),
  );
  assert.deepEqual(lookup(rm, as, me, 0), [0, 0, 100]);
  assert.deepEqual(lookup(rm, as, me, 100), [0, 100, 10]);
  assert.deepEqual(lookup(rm, as, me, 110), [0, 110, PAGES - 110]);
  // The whole range unmapped: every page gone.
  unmap(0, PAGES);
  for (const p of [0, 8, 100, PAGES - 1]) assert.equal(lookup(rm, as, me, p)[0], ADDR_INVALID);
});

test("lend out of the middle of a range and reclaim: the page leaves and comes back", () => {
  const { rm } = boot();
  const as = makeAddrspace(rm, 0x81);
  const host = deriveExtent(rm, rm.caps.memextent, 0, PAGES * PAGE);
  const guest = deriveExtent(rm, rm.caps.memextent, 0, PAGES * PAGE, MemextentType.SPARSE);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, host, BigInt(IPA), RW, 0n, 0n, 0n);
  const donate = (type: number, from: bigint, to: bigint, page: number) =>
    ok(rm.hvc, Call.MEMEXTENT_DONATE, BigInt(type), from, to, BigInt(page * PAGE), BigInt(PAGE));
  donate(DonateType.TO_PROTECTED, host, guest, 100);
  assert.deepEqual(lookup(rm, as, host, 0), [0, 0, 100]);
  assert.equal(lookup(rm, as, host, 100)[0], ADDR_INVALID);
  assert.deepEqual(lookup(rm, as, host, 101), [0, 101, PAGES - 101]);
  // The lent page cannot be mapped by the guest extent at the host's IPA either.
  expectError(
    rm.hvc,
    HypError.EXISTING_MAPPING,
    Call.ADDRSPACE_MAP,
    as,
    guest,
    BigInt(IPA + 99 * PAGE),
    RW,
    PARTIAL,
    BigInt(100 * PAGE),
    BigInt(PAGE),
  );
  donate(DonateType.FROM_PROTECTED, guest, host, 100);
  assert.deepEqual(lookup(rm, as, host, 0), [0, 0, PAGES]);
  // Shared (TO_SIBLING): the mapping stays, now through the other extent.
  donate(DonateType.TO_SIBLING, host, guest, 7);
  assert.deepEqual(lookup(rm, as, host, 0), [0, 0, 7]);
  assert.deepEqual(lookup(rm, as, guest, 7, 1), [0, 7, 1]);
  assert.deepEqual(lookup(rm, as, host, 8), [0, 8, PAGES - 8]);
});

test("destroying the extent or the address space drops the whole range", () => {
  const { rm, as, me } = setup();
  deleteCap(rm, me);
  const again = deriveExtent(rm, rm.caps.memextent, 0, PAGES * PAGE);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as, again, BigInt(IPA), RW, 0n, 0n, 0n);
  assert.deepEqual(lookup(rm, as, again, 0), [0, 0, PAGES]);
  deleteCap(rm, as);
  const as2 = makeAddrspace(rm, 0x81);
  ok(rm.hvc, Call.ADDRSPACE_MAP, as2, again, BigInt(IPA), RW, 0n, 0n, 0n);
  assert.deepEqual(lookup(rm, as2, again, 0), [0, 0, PAGES]);
  // A BASIC child over part of it takes its pages out of the parent's range.
  const child = create2(rm, again, 64, 64);
  assert.deepEqual(lookup(rm, as2, again, 0), [0, 0, 64]);
  assert.equal(lookup(rm, as2, again, 64)[0], ADDR_INVALID);
  assert.deepEqual(lookup(rm, as2, again, 128), [0, 128, PAGES - 128]);
  assert.equal(lookup(rm, as2, child, 64)[0], ADDR_INVALID);
});

function create2(rm: RootVm, parent: bigint, page: number, pages: number): bigint {
  return deriveExtent(rm, parent, page * PAGE, pages * PAGE);
}
