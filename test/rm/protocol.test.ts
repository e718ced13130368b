// The RM RPC wire format: golden bytes (hex fixtures written out here, computed by
// hand from gunyah-abi.md section 3) and every receiver rule of the reassembler.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AclEntry,
  decodeHeader,
  decodeList,
  encodeHeader,
  encodeList,
  fragmentMessage,
  HypErrorData,
  HypResourceEntry,
  MsgType,
  parseReply,
  Reassembler,
  replyPayload,
  RmError,
  RPC_MAX_MESSAGE_SIZE,
  SglEntry,
  VmConfigImageRequest,
  VmidRequest,
  VmMsg,
  RmNotification,
  VmStatusNotification,
  VmExitedNotification,
  VmSetBootContextRequest,
  type RpcMessage,
  concatBytes,
  MemCreateHeader,
  AttrEntry,
  MemMsg,
  MemAcceptReplyHeader,
  MemSharedNotification,
  MemOwnerNotification,
  HypResourcesHeader,
} from "../../src/rm/protocol/index.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

function packetsOf(msg: RpcMessage): Uint8Array[] {
  const r = fragmentMessage(msg);
  assert.ok(r.ok);
  return r.value.map((p) => p.bytes);
}

test("golden: VM_ALLOC_VMID request, reply", () => {
  const req = packetsOf({
    type: MsgType.REQUEST,
    seq: 1,
    msgId: VmMsg.VM_ALLOC_VMID,
    payload: VmidRequest.encode({ vmid: 0 }),
  });
  assert.deepEqual(req.map(hex), ["2101010001000056" + "00000000"]);
  const reply = packetsOf({
    type: MsgType.REPLY,
    seq: 1,
    msgId: VmMsg.VM_ALLOC_VMID,
    payload: replyPayload(RmError.OK, VmidRequest.encode({ vmid: 0x80 })),
  });
  assert.deepEqual(reply.map(hex), ["2102010001000056" + "00000000" + "80000000"]);
});

test("golden: an error reply is the error code, then the call's error data if any", () => {
  assert.equal(hex(replyPayload(RmError.VM_STATE)), "14000000");
  assert.equal(hex(replyPayload(RmError.VM_STATE, new Uint8Array(0))), "14000000");
  // VM_SET_TIME_BASE's: the hypervisor's error_t, little-endian (DENIED = 30).
  const data = HypErrorData.encode({ hypError: 30 });
  assert.equal(hex(replyPayload(RmError.ARGUMENT_INVALID, data)), "06000000" + "1e000000");
  assert.deepEqual(HypErrorData.decodeExact(unhex("ffffffff")), { hypError: -1 });
  assert.deepEqual(parseReply(unhex("0d000000aa")), {
    error: RmError.VMID_INVALID,
    data: unhex("aa"),
  });
  assert.equal(parseReply(unhex("0d00")), undefined);
});

test("golden: VM_STATUS and VM_EXITED notifications", () => {
  const status = packetsOf({
    type: MsgType.NOTIFICATION,
    seq: 0x1234,
    msgId: RmNotification.VM_STATUS,
    payload: VmStatusNotification.encode({ vmid: 0x81, vmStatus: 3, osStatus: 0, appStatus: 0 }),
  });
  assert.deepEqual(status.map(hex), ["2103341208001056" + "81000000" + "03000000"]);
  const exited = VmExitedNotification.encode({ vmid: 0x80, exitType: 1, reasonSize: 0 });
  assert.equal(hex(exited), "8000010000000000");
});

test("golden: VM_CONFIG_IMAGE and VM_SET_BOOT_CONTEXT requests", () => {
  const cfg = VmConfigImageRequest.encode({
    vmid: 0x80,
    auth: 0,
    memHandle: 0x11223344,
    imageOffset: 0n,
    imageSize: 0x1000n,
    dtOffset: 0x2000n,
    dtSize: 0x800n,
  });
  assert.equal(VmConfigImageRequest.size, 40);
  assert.equal(
    hex(cfg),
    "80000000" +
      "44332211" +
      "0000000000000000" +
      "0010000000000000" +
      "0020000000000000" +
      "0008000000000000",
  );
  const boot = VmSetBootContextRequest.encode({
    vmid: 0x80,
    regSet: 1,
    regIndex: 0,
    value: 0x4000_0000n,
  });
  assert.equal(hex(boot), "80000100" + "00000000" + "0000004000000000");
});

test("golden: HYP_RESOURCES entry is 44 bytes", () => {
  assert.equal(HypResourceEntry.size, 44);
  const e = HypResourceEntry.encode({
    type: 4,
    partnerVmid: 0x80,
    handle: 1,
    label: 0,
    capId: 0x0123456789abcdefn,
    virqHandle: 0,
    virq: 992,
    base: 0n,
    size: 0n,
  });
  assert.equal(
    hex(e),
    "04008000" +
      "01000000" +
      "00000000" +
      "efcdab8967452301" +
      "00000000" +
      "e0030000" +
      "0000000000000000" +
      "0000000000000000",
  );
});

test("golden: lists", () => {
  const acl = encodeList(AclEntry, [{ vmid: 0x80, rights: 7 }]);
  assert.equal(hex(acl), "01000000" + "80000700");
  const sgl = encodeList(SglEntry, [{ ipa: 0x4000_0000n, size: 0x1000n }], 0x80);
  assert.equal(hex(sgl), "01008000" + "0000004000000000" + "0010000000000000");
  const dec = decodeList(SglEntry, sgl, 0, { secondIsValue: true });
  assert.ok(dec.ok);
  assert.equal(dec.value.second, 0x80);
  assert.equal(dec.value.next, sgl.length);
  // Padding must be zero unless it is a value.
  assert.deepEqual(decodeList(SglEntry, sgl, 0), { ok: false, error: RmError.MSG_INVALID });
  // Running past the end.
  assert.deepEqual(decodeList(AclEntry, unhex("02000000 80000700"), 0), {
    ok: false,
    error: RmError.MSG_INVALID,
  });
  // Above the maximum.
  assert.deepEqual(decodeList(AclEntry, unhex("01020000"), 0), {
    ok: false,
    error: RmError.ARGUMENT_INVALID,
  });
  assert.deepEqual(decodeList(AclEntry, unhex("0100"), 0), {
    ok: false,
    error: RmError.MSG_INVALID,
  });
});

test("golden: a 300-byte message becomes two packets, push on the last", () => {
  const payload = new Uint8Array(300).map((_, i) => i & 0xff);
  const r = fragmentMessage({ type: MsgType.REQUEST, seq: 7, msgId: 0x51000012, payload });
  assert.ok(r.ok);
  const [a, b] = r.value;
  assert.ok(a && b);
  assert.equal(a.bytes.length, 240);
  assert.equal(hex(a.bytes.subarray(0, 8)), "2105070012000051");
  assert.equal(a.push, false);
  assert.equal(b.bytes.length, 8 + 68);
  assert.equal(hex(b.bytes.subarray(0, 8)), "2104070012000051");
  assert.equal(b.push, true);
  const re = new Reassembler();
  assert.equal(re.push(a.bytes).kind, "pending");
  const done = re.push(b.bytes);
  assert.equal(done.kind, "message");
  if (done.kind === "message") assert.deepEqual(done.message.payload, payload);
});

test("fragmenter: size limits", () => {
  const max = fragmentMessage({
    type: MsgType.REPLY,
    seq: 0,
    msgId: 1,
    payload: new Uint8Array(RPC_MAX_MESSAGE_SIZE),
  });
  assert.ok(max.ok);
  assert.equal(max.value.length, 63);
  assert.equal(decodeHeader(max.value[0]!.bytes).ok && max.value[0]!.bytes[1]! >> 2, 62);
  assert.equal(
    fragmentMessage({
      type: MsgType.REPLY,
      seq: 0,
      msgId: 1,
      payload: new Uint8Array(RPC_MAX_MESSAGE_SIZE + 1),
    }).ok,
    false,
  );
  const empty = fragmentMessage({
    type: MsgType.REQUEST,
    seq: 0,
    msgId: 1,
    payload: new Uint8Array(0),
  });
  assert.ok(empty.ok);
  assert.equal(empty.value.length, 1);
  assert.equal(empty.value[0]!.bytes.length, 8);
});

test("reassembler: every receiver rule", () => {
  const re = new Reassembler();
  const drop = (bytes: Uint8Array, reason: string) =>
    assert.deepEqual(re.push(bytes), { kind: "dropped", reason });
  drop(unhex("21010100"), "short");
  drop(unhex("2201010001000056"), "version");
  drop(unhex("3101010001000056"), "header-words");
  drop(unhex("21fd010001000056"), "fragments"); // 63 continuations
  drop(unhex("2104010001000056"), "orphan-continuation");
  drop(new Uint8Array(241).fill(0x21), "oversized-packet");

  // Mismatched continuation: id, seq or count differ.
  for (const bad of ["2104020001000056", "2104010002000056", "2108010001000056"]) {
    assert.equal(re.push(unhex("2105010001000056aa")).kind, "pending");
    drop(unhex(bad), "mismatched-continuation");
    assert.equal(re.inProgress, false);
  }

  // A new request in the middle of a fragmented one drops the partial one.
  assert.equal(re.push(unhex("2105010001000056aa")).kind, "pending");
  const fresh = re.push(unhex("2101020004000056bb"));
  assert.equal(fresh.kind, "message");
  if (fresh.kind === "message") {
    assert.equal(fresh.message.seq, 2);
    assert.deepEqual(fresh.message.payload, unhex("bb"));
  }
  assert.ok(re.stats.discardedPartials >= 4);
  assert.ok(re.stats.dropped >= 9);
});

test("header codec round trip", () => {
  const h = { type: MsgType.NOTIFICATION, fragments: 62, seq: 0xffff, msgId: 0xdeadbeef } as const;
  const back = decodeHeader(encodeHeader(h));
  assert.deepEqual(back, { ok: true, value: h });
});

test("golden: MEM_LEND request (one ACL entry, one SGL entry, no attrs)", () => {
  const payload = concatBytes(
    MemCreateHeader.encode({ memType: 0, flags: 1, label: 0x10 }),
    encodeList(AclEntry, [{ vmid: 0x80, rights: 6 }]),
    encodeList(SglEntry, [{ ipa: 0x8100_0000n, size: 0x2000n }]),
    encodeList(AttrEntry, []),
  );
  const packets = packetsOf({
    type: MsgType.REQUEST,
    seq: 0x0203,
    msgId: MemMsg.MEM_LEND,
    payload,
  });
  assert.deepEqual(packets.map(hex), [
    "2101030212000051" + // header: REQUEST, seq 0x0203, MEM_LEND
      "00000100" + // mem_type 0, flags SANITIZE
      "10000000" + // label
      "01000000" +
      "80000600" + // ACL: 1 entry {vmid 0x80, rights RW}
      "01000000" +
      "0000008100000000" +
      "0020000000000000" + // SGL: 1 entry
      "00000000", // attrs: none
  ]);
});

test("golden: MEM_ACCEPT reply and MEM_SHARED / MEM_RELEASED notifications", () => {
  const reply = replyPayload(
    RmError.OK,
    concatBytes(
      MemAcceptReplyHeader.encode({ sglCount: 1, flags: 0 }),
      SglEntry.encode({ ipa: 0x4100_0000n, size: 0x1000n }),
    ),
  );
  assert.equal(hex(reply), "00000000" + "01000000" + "0000004100000000" + "0010000000000000");
  const shared = MemSharedNotification.encode({
    handle: 5,
    memType: 0,
    transType: 2,
    flags: 0,
    ownerVmid: 3,
    label: 7,
    memInfoTag: 9,
  });
  assert.equal(hex(shared), "05000000" + "00020000" + "03000000" + "07000000" + "09000000");
  const released = MemOwnerNotification.encode({ handle: 5, vmid: 0x80, memInfoTag: 9 });
  assert.equal(hex(released), "05000000" + "80000000" + "09000000");
});

test("golden: VM_EXITED with a reason, VM_GET_HYP_RESOURCES reply with one entry", () => {
  const exited = concatBytes(
    VmExitedNotification.encode({ vmid: 0x81, exitType: 7, reasonSize: 4 }),
    new Uint8Array([0xcd, 0xab, 0, 0]),
  );
  const p = packetsOf({
    type: MsgType.NOTIFICATION,
    seq: 1,
    msgId: RmNotification.VM_EXITED,
    payload: exited,
  });
  assert.deepEqual(p.map(hex), ["2103010001001056" + "81000700" + "04000000" + "cdab0000"]);
  const reply = replyPayload(
    RmError.OK,
    concatBytes(
      HypResourcesHeader.encode({ count: 1 }),
      HypResourceEntry.encode({
        type: 10,
        partnerVmid: 0x81,
        handle: 2,
        label: 0,
        capId: 0x1122n,
        virqHandle: 0,
        virq: 0xffff_ffff,
        base: 0n,
        size: 0n,
      }),
    ),
  );
  assert.equal(reply.length, 4 + 4 + 44);
  assert.equal(hex(reply.subarray(0, 16)), "00000000" + "01000000" + "0a008100" + "02000000");
});
