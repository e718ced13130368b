// Memory parcels end to end: the host (over the real transport) lends, shares,
// donates and reclaims its pages; a guest VM (calling the RM's request handler as
// itself) accepts and releases them. Every rule of section 3 and hardening.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AclEntry,
  concatBytes,
  encodeList,
  MemAcceptFlag,
  MemAcceptHeader,
  MemAcceptReplyHeader,
  MemAppendHeader,
  MemHandleReply,
  MemMsg,
  MemNotifyHeader,
  MemOwnerNotification,
  RmError,
  RmNotification,
  SglEntry,
  AttrEntry,
  VmidEntry,
  VmMsg,
  TransType,
} from "../../src/rm/protocol/index.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import { createVm, destroyVm, handleReq, memCreateReq, vmidReq } from "./helpers/requests.js";

const { platform, client } = bootTestPlatform(2);
const ram = platform.host.ram;
const page = (i: number) => ram.base + 0x40_0000 + i * 0x1000;
const host = platform.host.vm.memory;

async function create(
  id: number,
  req: Parameters<typeof memCreateReq>[0],
): Promise<{ error: number; handle: number }> {
  const r = await client.call(id, memCreateReq(req));
  return { error: r.error, handle: r.error === 0 ? MemHandleReply.decode(r.data)!.handle : 0 };
}

function acceptReq(o: {
  handle: number;
  transType: number;
  flags?: number;
  label?: number;
  memType?: number;
  sgl?: { ipa: number; size: number }[];
  mapVmid?: number;
  acl?: { vmid: number; rights: number }[];
}): Uint8Array {
  return concatBytes(
    MemAcceptHeader.encode({
      handle: o.handle,
      memType: o.memType ?? 0,
      transType: o.transType,
      flags: o.flags ?? MemAcceptFlag.DONE,
      label: o.label ?? 0,
    }),
    encodeList(AclEntry, o.acl ?? []),
    encodeList(
      SglEntry,
      (o.sgl ?? []).map((r) => ({ ipa: BigInt(r.ipa), size: BigInt(r.size) })),
      o.mapVmid ?? 0,
    ),
    encodeList(AttrEntry, []),
  );
}

let guest: Awaited<ReturnType<typeof createVm>>;
let baseline = "";
const asGuest = (id: number, payload: Uint8Array) =>
  platform.rm.handleRequest(guest.vmid, id, payload);

test("setup: a READY guest VM to lend to", async () => {
  baseline = leakSnapshot(platform);
  guest = await createVm(client, { dtbPa: ram.base + 0x10_0000 });
});

test("MEM_LEND hides the pages from the host; MEM_RECLAIM gives them back intact", async () => {
  assert.ok(host.write(page(0), new Uint8Array([1, 2, 3, 4])).ok);
  const lent = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: guest.vmid, rights: 6 }],
    sgl: [{ ipa: page(0), size: 0x2000 }],
  });
  assert.equal(lent.error, RmError.OK);
  assert.equal(host.read(page(0), 4).ok, false);
  assert.equal(host.read(page(1), 4).ok, false);
  assert.equal(host.read(page(2), 4).ok, true);
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(lent.handle))).error, 0);
  assert.deepEqual(host.read(page(0), 4), { ok: true, value: new Uint8Array([1, 2, 3, 4]) });
  assert.equal(
    (await client.call(MemMsg.MEM_RECLAIM, handleReq(lent.handle))).error,
    RmError.HANDLE_INVALID,
  );
});

test("SANITIZE: on create, on release and on reclaim the memory is zeroed", async () => {
  const fill = (i: number) => assert.ok(host.write(page(i), new Uint8Array(16).fill(0xaa)).ok);
  const zeroed = (i: number) => {
    const r = host.read(page(i), 16);
    assert.ok(r.ok);
    return r.value.every((b) => b === 0);
  };
  const g = guest.vmid;
  fill(500);
  const a = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: g, rights: 6 }],
    sgl: [{ ipa: page(500), size: 0x1000 }],
    flags: 1,
  });
  assert.equal(a.error, 0);
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(a.handle))).error, 0);
  assert.equal(zeroed(500), true, "create flag");

  fill(501);
  const b = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: g, rights: 6 }],
    sgl: [{ ipa: page(501), size: 0x1000 }],
  });
  assert.equal(
    (await client.call(MemMsg.MEM_RECLAIM, handleReq(b.handle, 2))).error,
    RmError.ARGUMENT_INVALID,
  );
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(b.handle, 1))).error, 0);
  assert.equal(zeroed(501), true, "reclaim flag");

  fill(502);
  const c = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: g, rights: 6 }],
    sgl: [{ ipa: page(502), size: 0x1000 }],
  });
  assert.equal(
    asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: c.handle, transType: TransType.LEND })).error,
    0,
  );
  assert.equal(asGuest(MemMsg.MEM_RELEASE, handleReq(c.handle, 4)).error, RmError.ARGUMENT_INVALID);
  assert.equal(asGuest(MemMsg.MEM_RELEASE, handleReq(c.handle, 1)).error, 0);
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(c.handle))).error, 0);
  assert.equal(zeroed(502), true, "release flag");

  fill(503);
  const d = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: g, rights: 6 }],
    sgl: [{ ipa: page(503), size: 0x1000 }],
  });
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(d.handle))).error, 0);
  assert.equal(zeroed(503), false, "no flag: contents kept");
});

test("MEM_SHARE keeps the owner's mapping", async () => {
  const shared = await create(MemMsg.MEM_SHARE, {
    acl: [
      { vmid: 3, rights: 6 },
      { vmid: guest.vmid, rights: 6 },
    ],
    sgl: [{ ipa: page(4), size: 0x1000 }],
  });
  assert.equal(shared.error, RmError.OK);
  assert.equal(host.read(page(4), 4).ok, true);
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(shared.handle))).error, 0);
  assert.equal(host.read(page(4), 4).ok, true);
});

test("create: every validation failure", async () => {
  const g = guest.vmid;
  const one = [{ ipa: page(8), size: 0x1000 }];
  const cases: [string, number, Parameters<typeof memCreateReq>[0], number][] = [
    ["no ACL", MemMsg.MEM_LEND, { acl: [], sgl: one }, RmError.ARGUMENT_INVALID],
    [
      "no SGL",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: [] },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "dup VMID",
      MemMsg.MEM_LEND,
      {
        acl: [
          { vmid: g, rights: 6 },
          { vmid: g, rights: 4 },
        ],
        sgl: one,
      },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "X only",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 1 }], sgl: one },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "W only",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 2 }], sgl: one },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "X on IO",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 5 }], sgl: one, memType: 1 },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "bad mem type",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: one, memType: 2 },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "bad flags",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: one, flags: 4 },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "unknown VM",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: 0xbe, rights: 6 }], sgl: one },
      RmError.VMID_INVALID,
    ],
    [
      "lend to self",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: 3, rights: 7 }], sgl: one },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "share without owner",
      MemMsg.MEM_SHARE,
      { acl: [{ vmid: g, rights: 6 }], sgl: one },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "donate RW",
      MemMsg.MEM_DONATE,
      { acl: [{ vmid: g, rights: 6 }], sgl: one },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "unaligned",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: [{ ipa: page(8) + 8, size: 0x1000 }] },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "odd size",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: [{ ipa: page(8), size: 0x1800 }] },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "overlap",
      MemMsg.MEM_LEND,
      {
        acl: [{ vmid: g, rights: 6 }],
        sgl: [
          { ipa: page(8), size: 0x2000 },
          { ipa: page(9), size: 0x1000 },
        ],
      },
      RmError.ARGUMENT_INVALID,
    ],
    [
      "not host RAM",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: [{ ipa: 0x1000, size: 0x1000 }] },
      RmError.MEM_INVALID,
    ],
    [
      "past RAM end",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: [{ ipa: ram.base + ram.size - 0x1000, size: 0x2000 }] },
      RmError.MEM_INVALID,
    ],
    [
      "attr VM not in ACL",
      MemMsg.MEM_LEND,
      { acl: [{ vmid: g, rights: 6 }], sgl: one, attrs: [{ attr: 0, vmid: 0x81 }] },
      RmError.ARGUMENT_INVALID,
    ],
  ];
  for (const [what, id, req, error] of cases)
    assert.equal((await create(id, req)).error, error, what);

  const good = memCreateReq({ acl: [{ vmid: g, rights: 6 }], sgl: one });
  const r = async (payload: Uint8Array) => (await client.call(MemMsg.MEM_LEND, payload)).error;
  assert.equal(await r(good.subarray(0, good.length - 1)), RmError.MSG_INVALID, "truncated");
  assert.equal(await r(concatBytes(good, new Uint8Array(1))), RmError.MSG_INVALID, "trailing byte");
  assert.equal(await r(good.subarray(0, 6)), RmError.MSG_INVALID, "short header");
  const tooMany = concatBytes(good.subarray(0, 8), new Uint8Array([0x01, 0x02, 0, 0]));
  assert.equal(await r(tooMany), RmError.ARGUMENT_INVALID, "count 513");
  const padded = good.slice();
  padded[10] = 1;
  assert.equal(await r(padded), RmError.MSG_INVALID, "list padding");

  // Overlap with an existing parcel, then the 64-parcel limit.
  const first = await create(MemMsg.MEM_LEND, { acl: [{ vmid: g, rights: 6 }], sgl: one });
  assert.equal(first.error, 0);
  assert.equal(
    (await create(MemMsg.MEM_LEND, { acl: [{ vmid: g, rights: 6 }], sgl: one })).error,
    RmError.MEM_INUSE,
  );
  const handles = [first.handle];
  // The guest's DTB parcel counts too: 62 more fill the owner's 64.
  for (let i = 0; i < 62; i++) {
    const p = await create(MemMsg.MEM_LEND, {
      acl: [{ vmid: g, rights: 6 }],
      sgl: [{ ipa: page(16 + i), size: 0x1000 }],
    });
    assert.equal(p.error, 0, `parcel ${i}`);
    handles.push(p.handle);
  }
  assert.equal(
    (
      await create(MemMsg.MEM_LEND, {
        acl: [{ vmid: g, rights: 6 }],
        sgl: [{ ipa: page(100), size: 0x1000 }],
      })
    ).error,
    RmError.DENIED,
  );
  for (const h of handles)
    assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(h))).error, 0);
});

test("MEM_ACCEPT / RELEASE / RECLAIM between the host and a running guest", async () => {
  const lent = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: guest.vmid, rights: 6 }],
    sgl: [
      { ipa: page(200), size: 0x1000 },
      { ipa: page(202), size: 0x1000 },
    ],
    label: 0x77,
  });
  assert.equal(lent.error, 0);
  const L = TransType.LEND;
  const at = [{ ipa: 0x4100_0000, size: 0x2000 }];
  const e = (r: { error: number }) => r.error;
  assert.equal(
    e(asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: lent.handle, transType: TransType.SHARE }))),
    RmError.ARGUMENT_INVALID,
  );
  assert.equal(
    e(asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: lent.handle, transType: L, memType: 1 }))),
    RmError.ARGUMENT_INVALID,
  );
  assert.equal(
    e(asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: lent.handle, transType: L, flags: 0 }))),
    RmError.DENIED,
  );
  assert.equal(
    e(
      asGuest(
        MemMsg.MEM_ACCEPT,
        acceptReq({
          handle: lent.handle,
          transType: L,
          flags: MemAcceptFlag.DONE | MemAcceptFlag.MAP_OTHER,
        }),
      ),
    ),
    RmError.DENIED,
  );
  assert.equal(
    e(asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: lent.handle, transType: L, mapVmid: 3 }))),
    RmError.DENIED,
  );
  assert.equal(
    e(
      asGuest(
        MemMsg.MEM_ACCEPT,
        acceptReq({
          handle: lent.handle,
          transType: L,
          flags: MemAcceptFlag.DONE | MemAcceptFlag.VALIDATE_LABEL,
          label: 1,
        }),
      ),
    ),
    RmError.VALIDATE_FAILED,
  );
  assert.equal(
    e(
      asGuest(
        MemMsg.MEM_ACCEPT,
        acceptReq({
          handle: lent.handle,
          transType: L,
          flags: MemAcceptFlag.DONE | MemAcceptFlag.VALIDATE_SANITIZED,
        }),
      ),
    ),
    RmError.VALIDATE_FAILED,
  );
  assert.equal(
    e(
      asGuest(
        MemMsg.MEM_ACCEPT,
        acceptReq({ handle: lent.handle, transType: L, sgl: [{ ipa: 0x4100_0000, size: 0x1000 }] }),
      ),
    ),
    RmError.ARGUMENT_INVALID,
    "wrong total size",
  );
  assert.equal(
    e(asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: 0x9999, transType: L }))),
    RmError.HANDLE_INVALID,
  );
  assert.equal(
    (await client.call(MemMsg.MEM_ACCEPT, acceptReq({ handle: lent.handle, transType: L }))).error,
    RmError.HANDLE_INVALID,
    "owner cannot accept",
  );

  const accepted = asGuest(
    MemMsg.MEM_ACCEPT,
    acceptReq({
      handle: lent.handle,
      transType: L,
      sgl: at,
      flags: MemAcceptFlag.DONE | MemAcceptFlag.VALIDATE_LABEL | MemAcceptFlag.VALIDATE_ACL_ATTRS,
      label: 0x77,
      acl: [{ vmid: guest.vmid, rights: 6 }],
    }),
  );
  assert.equal(accepted.error, RmError.OK);
  const head = MemAcceptReplyHeader.decode(accepted.data!)!;
  assert.equal(head.sglCount, 1);
  assert.deepEqual(SglEntry.decode(accepted.data!, 4), { ipa: 0x4100_0000n, size: 0x2000n });
  assert.equal(
    e(asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: lent.handle, transType: L }))),
    RmError.MEM_INUSE,
    "accept twice",
  );

  // While the guest runs, its acceptance keeps the parcel in use.
  assert.equal((await client.call(VmMsg.VM_START, vmidReq(guest.vmid))).error, 0);
  assert.equal(
    (await client.call(MemMsg.MEM_RECLAIM, handleReq(lent.handle))).error,
    RmError.MEM_INUSE,
  );
  assert.equal(
    e(asGuest(MemMsg.MEM_RECLAIM, handleReq(lent.handle))),
    RmError.DENIED,
    "borrower cannot reclaim",
  );
  assert.equal(
    e(asGuest(MemMsg.MEM_RELEASE, handleReq(lent.handle).subarray(0, 7))),
    RmError.MSG_INVALID,
  );
  assert.equal(e(asGuest(MemMsg.MEM_RELEASE, handleReq(lent.handle))), RmError.OK);
  assert.equal(e(asGuest(MemMsg.MEM_RELEASE, handleReq(lent.handle))), RmError.MEM_RELEASED);
  assert.equal(
    (await client.call(MemMsg.MEM_RELEASE, handleReq(lent.handle))).error,
    RmError.HANDLE_INVALID,
  );

  // MEM_NOTIFY: borrower -> owner notifications, owner-only SHARED, one flag at a time.
  const notify = (flags: number, tail: Uint8Array = new Uint8Array(0)) =>
    concatBytes(MemNotifyHeader.encode({ handle: lent.handle, flags, memInfoTag: 0x55 }), tail);
  const since = client.mark();
  assert.equal(e(asGuest(MemMsg.MEM_NOTIFY, notify(2))), RmError.OK);
  const n = await client.waitNotification((m) => m.msgId === RmNotification.MEM_RELEASED, since);
  assert.deepEqual(MemOwnerNotification.decode(n.payload), {
    handle: lent.handle,
    vmid: guest.vmid,
    memInfoTag: 0x55,
  });
  assert.equal(e(asGuest(MemMsg.MEM_NOTIFY, notify(4))), RmError.OK);
  await client.waitNotification((m) => m.msgId === RmNotification.MEM_ACCEPTED, since);
  assert.equal(e(asGuest(MemMsg.MEM_NOTIFY, notify(3))), RmError.ARGUMENT_INVALID);
  const vmids = (...v: number[]) =>
    encodeList(
      VmidEntry,
      v.map((vmid) => ({ vmid })),
    );
  assert.equal(e(asGuest(MemMsg.MEM_NOTIFY, notify(1, vmids(3)))), RmError.DENIED);
  assert.equal(
    (await client.call(MemMsg.MEM_NOTIFY, notify(1, vmids(0x81)))).error,
    RmError.ARGUMENT_INVALID,
  );
  assert.equal(
    (await client.call(MemMsg.MEM_NOTIFY, notify(1, vmids(guest.vmid)))).error,
    RmError.OK,
  );
  assert.equal((await client.call(MemMsg.MEM_NOTIFY, notify(8))).error, RmError.OK);

  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(lent.handle))).error, RmError.OK);
});

test("MEM_APPEND builds a parcel in pieces; accept waits for the END flag", async () => {
  const first = await create(MemMsg.MEM_LEND, {
    acl: [{ vmid: guest.vmid, rights: 6 }],
    sgl: [{ ipa: page(300), size: 0x1000 }],
    flags: 2,
  });
  assert.equal(first.error, 0);
  const append = (flags: number, sgl: { ipa: number; size: number }[], handle = first.handle) =>
    concatBytes(
      MemAppendHeader.encode({ handle, flags }),
      encodeList(
        SglEntry,
        sgl.map((r) => ({ ipa: BigInt(r.ipa), size: BigInt(r.size) })),
      ),
    );
  const L = TransType.LEND;
  assert.equal(
    asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: first.handle, transType: L })).error,
    RmError.MEM_INVALID,
  );
  assert.equal(
    (await client.call(MemMsg.MEM_APPEND, append(0, [{ ipa: page(300), size: 0x1000 }]))).error,
    RmError.ARGUMENT_INVALID,
    "overlap",
  );
  assert.equal(
    (await client.call(MemMsg.MEM_APPEND, append(0, [{ ipa: page(301), size: 0x1000 }], 0x4444)))
      .error,
    RmError.HANDLE_INVALID,
  );
  assert.equal(
    (await client.call(MemMsg.MEM_APPEND, append(2, [{ ipa: page(301), size: 0x1000 }]))).error,
    RmError.ARGUMENT_INVALID,
  );
  assert.equal(
    (await client.call(MemMsg.MEM_APPEND, append(0, [{ ipa: page(301), size: 0x1000 }]))).error,
    0,
  );
  assert.equal(host.read(page(301), 1).ok, false);
  assert.equal(
    (await client.call(MemMsg.MEM_APPEND, append(1, [{ ipa: page(302), size: 0x1000 }]))).error,
    0,
  );
  assert.equal(
    (await client.call(MemMsg.MEM_APPEND, append(1, [{ ipa: page(303), size: 0x1000 }]))).error,
    RmError.ARGUMENT_INVALID,
    "complete",
  );
  const accepted = asGuest(
    MemMsg.MEM_ACCEPT,
    acceptReq({ handle: first.handle, transType: L, sgl: [{ ipa: 0x4200_0000, size: 0x3000 }] }),
  );
  assert.equal(accepted.error, 0);
  assert.equal(asGuest(MemMsg.MEM_RELEASE, handleReq(first.handle)).error, 0);
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(first.handle))).error, 0);
  for (const i of [300, 301, 302]) assert.equal(host.read(page(i), 1).ok, true);
});

test("a guest may not allocate VMs (the VMID space is the host's)", () => {
  assert.equal(asGuest(VmMsg.VM_ALLOC_VMID, vmidReq(0)).error, RmError.DENIED);
  assert.equal(asGuest(VmMsg.VM_GET_STATE, vmidReq(guest.vmid)).error, RmError.OK, "about itself");
  assert.equal(
    asGuest(VmMsg.VM_GET_STATE, vmidReq(3)).error,
    RmError.VMID_INVALID,
    "not about others",
  );
  assert.equal(asGuest(VmMsg.VM_START, vmidReq(guest.vmid)).error, RmError.VMID_INVALID);
});

test("MEM_DONATE: accepted once, never reclaimed; freed with the VM", async () => {
  const d = await create(MemMsg.MEM_DONATE, {
    acl: [{ vmid: guest.vmid, rights: 7 }],
    sgl: [{ ipa: page(400), size: 0x1000 }],
  });
  assert.equal(d.error, 0);
  assert.equal(host.read(page(400), 1).ok, false);
  assert.equal(
    asGuest(MemMsg.MEM_ACCEPT, acceptReq({ handle: d.handle, transType: TransType.DONATE })).error,
    0,
  );
  assert.equal((await client.call(MemMsg.MEM_RECLAIM, handleReq(d.handle))).error, RmError.DENIED);
  assert.equal(asGuest(MemMsg.MEM_RELEASE, handleReq(d.handle)).error, RmError.DENIED);
});

test("teardown: the guest goes, its parcels with it, nothing leaks", async () => {
  const before = platform.rm.parcels.size;
  assert.ok(before >= 2);
  await destroyVm(client, guest, true);
  assert.equal(platform.rm.parcels.size, 0);
  assert.equal(platform.hypervisor.stats().objects.thread, 0);
  // Every object, cap and page is back, but the page MEM_DONATE gave away: donation
  // moves ownership for good, so with its VM gone it returns to the RM's root extent
  // (memextent #3), not to the host's RAM extent (#4).
  const now = JSON.parse(leakSnapshot(platform));
  const was = JSON.parse(baseline);
  assert.deepEqual([now.objects, now.caps, now.owners], [was.objects, was.caps, was.owners]);
  const moved = Object.keys(was.pages).map((k) => [k, now.pages[k] - was.pages[k]]);
  assert.deepEqual(moved, [
    ["hypervisor", 0],
    ["root-partition#1", 0],
    ["memextent@80000#2", 0],
    ["memextent@80400#3", 1],
    ["memextent@80400#4", -1],
  ]);
});
