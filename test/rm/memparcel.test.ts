// Parcel validation rules (section 3 "Memory parcels"), unit-tested without a hypervisor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateAcl, validateAttrs, validateSgl, ParcelTable } from "../../src/rm/memparcel.js";
import { layOut } from "../../src/rm/parcel-memory.js";
import { RmError, TransType } from "../../src/rm/protocol/index.js";

const exists = (v: number) => [3, 0x80, 0x81].includes(v);
const bad = { ok: false, error: RmError.ARGUMENT_INVALID };

test("acl: rights, duplicates, owner membership, donate", () => {
  const L = TransType.LEND;
  assert.deepEqual(validateAcl(3, L, 0, [{ vmid: 0x80, rights: 7 }], exists).ok, true);
  assert.deepEqual(validateAcl(3, L, 0, [], exists), bad);
  for (const rights of [0, 1, 2, 3, 8])
    assert.deepEqual(validateAcl(3, L, 0, [{ vmid: 0x80, rights }], exists), bad);
  assert.deepEqual(validateAcl(3, L, 1, [{ vmid: 0x80, rights: 5 }], exists), bad, "no X on IO");
  assert.deepEqual(
    validateAcl(
      3,
      L,
      0,
      [
        { vmid: 0x80, rights: 4 },
        { vmid: 0x80, rights: 6 },
      ],
      exists,
    ),
    bad,
    "duplicate",
  );
  assert.deepEqual(validateAcl(3, L, 0, [{ vmid: 0x99, rights: 4 }], exists), {
    ok: false,
    error: RmError.VMID_INVALID,
  });
  assert.deepEqual(validateAcl(3, L, 0, [{ vmid: 3, rights: 7 }], exists), bad, "lend to yourself");
  assert.deepEqual(
    validateAcl(3, TransType.SHARE, 0, [{ vmid: 0x80, rights: 6 }], exists),
    bad,
    "owner missing",
  );
  assert.equal(
    validateAcl(
      3,
      TransType.SHARE,
      0,
      [
        { vmid: 3, rights: 6 },
        { vmid: 0x80, rights: 6 },
      ],
      exists,
    ).ok,
    true,
  );
  assert.deepEqual(
    validateAcl(3, TransType.SHARE, 0, [{ vmid: 3, rights: 6 }], exists),
    bad,
    "share with no one",
  );
  const D = TransType.DONATE;
  assert.equal(validateAcl(3, D, 0, [{ vmid: 0x80, rights: 7 }], exists).ok, true);
  assert.deepEqual(validateAcl(3, D, 0, [{ vmid: 0x80, rights: 6 }], exists), bad);
  assert.deepEqual(
    validateAcl(
      3,
      D,
      0,
      [
        { vmid: 0x80, rights: 7 },
        { vmid: 0x81, rights: 7 },
      ],
      exists,
    ),
    bad,
  );
});

test("attrs: values and VMIDs from the ACL", () => {
  const acl = [{ vmid: 0x80, rights: 7 }];
  assert.equal(validateAttrs([{ attr: 3, vmid: 0x80 }], acl).ok, true);
  assert.deepEqual(validateAttrs([{ attr: 4, vmid: 0x80 }], acl), bad);
  assert.deepEqual(validateAttrs([{ attr: 0, vmid: 0x81 }], acl), bad);
  assert.deepEqual(
    validateAttrs(
      [
        { attr: 0, vmid: 0x80 },
        { attr: 1, vmid: 0x80 },
      ],
      acl,
    ),
    bad,
  );
});

test("sgl: alignment, size, wrap, overlap", () => {
  const e = (ipa: bigint, size: bigint) => ({ ipa, size });
  assert.deepEqual(validateSgl([e(0x1000n, 0x2000n)]), {
    ok: true,
    value: [{ ipa: 0x1000, size: 0x2000 }],
  });
  assert.deepEqual(validateSgl([e(0x1001n, 0x1000n)]), bad);
  assert.deepEqual(validateSgl([e(0x1000n, 0x800n)]), bad);
  assert.deepEqual(validateSgl([e(0x1000n, 0n)]), bad);
  assert.deepEqual(validateSgl([e((1n << 64n) - 0x1000n, 0x1000n)]), bad);
  assert.deepEqual(validateSgl([e(0x1000n, 0x2000n), e(0x2000n, 0x1000n)]), bad);
  assert.deepEqual(validateSgl([e(0x3000n, 0x1000n)], [{ ipa: 0x3000, size: 0x1000 }]), bad);
});

test("parcel table: 64 per owner, handles never 0, overlap with existing", () => {
  const t = new ParcelTable();
  for (let i = 0; i < 64; i++) {
    assert.ok(t.canCreate(3));
    const p = t.insert({
      owner: 3,
      transType: TransType.LEND,
      memType: 0,
      label: 0,
      sanitize: false,
      acl: [{ vmid: 0x80, rights: 7 }],
      attrs: [],
      sgl: [{ ipa: i * 0x1000, size: 0x1000 }],
      complete: true,
      accepted: new Map(),
      released: new Set(),
      donated: false,
    });
    assert.notEqual(p.handle, 0);
  }
  assert.equal(t.canCreate(3), false);
  assert.equal(t.canCreate(0x80), true);
  assert.equal(t.overlapsExisting(3, [{ ipa: 0x5000, size: 0x1000 }]), true);
  assert.equal(t.overlapsExisting(3, [{ ipa: 0x40_0000, size: 0x1000 }]), false);
});

test("layOut pairs scattered pages with the IPA ranges they map at", () => {
  assert.deepEqual(
    layOut(
      [
        { ipa: 0x10000, size: 0x2000 },
        { ipa: 0x50000, size: 0x1000 },
      ],
      [{ ipa: 0x4000_0000, size: 0x3000 }],
    ),
    [
      { pa: 0x10000, ipa: 0x4000_0000, size: 0x2000 },
      { pa: 0x50000, ipa: 0x4000_2000, size: 0x1000 },
    ],
  );
});
