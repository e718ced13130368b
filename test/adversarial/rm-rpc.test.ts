// Attack: raw RM RPC from the host's queue caps (hardening.md "Resource Manager RPC":
// each case is dropped or answered with an error, and the RM keeps serving). Every
// message ID with truncated, extended and garbage payloads; malformed, fragmented,
// interleaved and replayed packets; and a host that stops reading its replies.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeHeader,
  MemMsg,
  MsgType,
  RmError,
  RPC_MAX_FRAGMENTS,
  VmidReply,
  VmMsg,
} from "../../src/rm/protocol/index.js";
import { HypError } from "../../src/hyp/abi/index.js";
import { TestHostClient } from "../rm/helpers/host-client.js";
import { createVm, vmidReq } from "../rm/helpers/requests.js";
import { accounting, smallPlatform } from "./harness.js";

async function servesStill(client: TestHostClient): Promise<void> {
  const a = await client.call(VmMsg.VM_ALLOC_VMID, vmidReq(0), 3000);
  assert.equal(a.error, RmError.OK, "the RM still allocates a VMID");
  const vmid = VmidReply.decode(a.data)?.vmid;
  assert.ok(vmid);
  const d = await client.call(VmMsg.VM_DEALLOC_VMID, vmidReq(vmid), 3000);
  assert.equal(d.error, RmError.OK, "and deallocates it");
}

test("every message ID with truncated, extended and garbage payloads is refused", async () => {
  const platform = smallPlatform(51);
  const client = new TestHostClient(platform.host);
  const vm = await createVm(client, { dtbPa: platform.host.ram.base + 0x100_0000 });
  const before = accounting(platform);
  // These are well-formed requests that really do something: not attacks.
  const legit = new Set([
    `${VmMsg.VM_GET_VMID}/0`,
    `${VmMsg.VM_GET_STATE}/4/vmid`,
    `${VmMsg.VM_GET_HYP_RESOURCES}/4/vmid`,
  ]);
  const ids = [
    ...Object.values(VmMsg),
    ...Object.values(MemMsg),
    0x5600_0003,
    0,
    0xffff_ffff,
  ].filter((id) => id !== VmMsg.VM_ALLOC_VMID);
  const accepted: string[] = [];
  for (const id of ids) {
    for (const len of [0, 1, 3, 5, 7, 9, 13, 17, 25, 41, 233, 1000]) {
      for (const fill of ["zero", "ones", "vmid"] as const) {
        const p = new Uint8Array(len).fill(fill === "ones" ? 0xff : 0);
        if (fill === "vmid" && len >= 2) p.set([vm.vmid & 0xff, vm.vmid >> 8]);
        const r = await client.call(id, p, 3000);
        const key = `${id}/${len}${fill === "vmid" ? "/vmid" : ""}`;
        if (r.error === RmError.OK && !legit.has(key) && !(len === 0 && legit.has(`${id}/0`)))
          accepted.push(`0x${id.toString(16)} len ${len} ${fill}`);
      }
    }
  }
  assert.deepEqual(accepted, [], "malformed requests the RM accepted");
  assert.equal(accounting(platform), before);
  await servesStill(client);
});

test("malformed, fragmented, interleaved and replayed packets are dropped; the RM keeps serving", async () => {
  const platform = smallPlatform(52);
  const client = new TestHostClient(platform.host);
  const before = accounting(platform);
  const head = (type: number, fragments: number, seq: number, msgId: number) =>
    encodeHeader({ type: type as 0 | 1 | 2 | 3, fragments, seq, msgId });
  const packet = (h: Uint8Array, body: Uint8Array = new Uint8Array(0)) => {
    const out = new Uint8Array(h.length + body.length);
    out.set(h);
    out.set(body, h.length);
    return out;
  };
  const send = (bytes: Uint8Array, push = true) =>
    assert.equal(client.sendPacket(bytes, push), HypError.OK, "the queue takes it");
  for (let n = 0; n < 8; n++) send(new Uint8Array(n).fill(0x21)); // shorter than the header
  const bad = head(MsgType.REQUEST, 0, 1, VmMsg.VM_ALLOC_VMID);
  send(packet(Uint8Array.of(0x22, ...bad.subarray(1)), new Uint8Array(4))); // version 2
  send(packet(Uint8Array.of(0x31, ...bad.subarray(1)), new Uint8Array(4))); // 3 header words
  const tooMany = head(MsgType.REQUEST, 0, 2, VmMsg.VM_ALLOC_VMID);
  tooMany[1] = (MsgType.REQUEST | (63 << 2)) & 0xff; // 63 fragments
  send(packet(tooMany, new Uint8Array(4)));
  send(packet(head(MsgType.CONTINUATION, 1, 3, VmMsg.VM_ALLOC_VMID), new Uint8Array(4))); // nothing in progress
  // A fragmented request interrupted by a new one, then its stale continuation.
  send(packet(head(MsgType.REQUEST, 2, 4, MemMsg.MEM_LEND), new Uint8Array(232)), false);
  send(packet(head(MsgType.REQUEST, 0, 5, VmMsg.VM_GET_VMID)));
  send(packet(head(MsgType.CONTINUATION, 2, 4, MemMsg.MEM_LEND), new Uint8Array(232)));
  // Continuations with the wrong id, seq and count.
  send(packet(head(MsgType.REQUEST, 1, 6, MemMsg.MEM_LEND), new Uint8Array(232)), false);
  send(packet(head(MsgType.CONTINUATION, 1, 6, MemMsg.MEM_SHARE), new Uint8Array(8)));
  send(packet(head(MsgType.REQUEST, 1, 7, MemMsg.MEM_LEND), new Uint8Array(232)), false);
  send(packet(head(MsgType.CONTINUATION, 1, 8, MemMsg.MEM_LEND), new Uint8Array(8)));
  send(packet(head(MsgType.REQUEST, 1, 9, MemMsg.MEM_LEND), new Uint8Array(232)), false);
  send(packet(head(MsgType.CONTINUATION, 3, 9, MemMsg.MEM_LEND), new Uint8Array(8)));
  // Replies and notifications sent to the RM, and the same request replayed.
  send(packet(head(MsgType.REPLY, 0, 10, VmMsg.VM_GET_VMID), new Uint8Array(4)));
  send(packet(head(MsgType.NOTIFICATION, 0, 11, 0x5610_0008), new Uint8Array(16)));
  for (let i = 0; i < 3; i++) send(packet(head(MsgType.REQUEST, 0, 12, VmMsg.VM_GET_VMID)));
  // A maximal fragmented message (62 continuations of 232 bytes) of garbage.
  send(
    packet(
      head(MsgType.REQUEST, RPC_MAX_FRAGMENTS, 13, MemMsg.MEM_LEND),
      new Uint8Array(232).fill(0xee),
    ),
    false,
  );
  await new Promise((r) => setTimeout(r, 20));
  await servesStill(client);
  assert.equal(accounting(platform), before);
  assert.ok(client.strayReplies.length >= 1, "the complete GET_VMID requests were answered");
});

test("a host that stops reading replies cannot wedge the RM", async () => {
  const platform = smallPlatform(53);
  const client = new TestHostClient(platform.host);
  const hooks = client as unknown as { drain: () => void };
  const drain = hooks.drain.bind(client);
  hooks.drain = () => {}; // stop reading
  const req = encodeHeader({
    type: MsgType.REQUEST,
    fragments: 0,
    seq: 1,
    msgId: VmMsg.VM_GET_VMID,
  });
  let sent = 0;
  for (let i = 0; i < 200; i++) {
    const e = client.sendPacket(req);
    if (e === HypError.OK) sent++;
    else assert.equal(e, HypError.MSGQUEUE_FULL);
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  assert.ok(sent > 0);
  await new Promise((r) => setTimeout(r, 20));
  hooks.drain = drain;
  drain();
  await servesStill(client);
});
