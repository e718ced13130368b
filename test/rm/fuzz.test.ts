// Property tests for every parser that reads RPC input (style rule 12): the
// reassembler alone, the RM's receive path through the real message queue, and each
// call handler's payload decoding. Bounded by default; GUNYAH_FUZZ_RUNS raises it.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeHeader,
  fragmentMessage,
  MemMsg,
  MsgType,
  Reassembler,
  RmError,
  RPC_MAX_MESSAGE_SIZE,
  VmidRequest,
  VmMsg,
  VmStateReply,
  VmStatus,
} from "../../src/rm/protocol/index.js";
import { bootTestPlatform, leakSnapshot } from "./helpers/boot.js";
import { createVm, destroyVm, vmidReq } from "./helpers/requests.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 200);
const SEED = 0x5eed;

/** Valid packets of a few real requests, to mutate. */
function seedPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const add = (msgId: number, payload: Uint8Array, seq: number) => {
    const r = fragmentMessage({ type: MsgType.REQUEST, seq, msgId, payload });
    if (r.ok) out.push(...r.value.map((p) => p.bytes));
  };
  add(VmMsg.VM_DEALLOC_VMID, VmidRequest.encode({ vmid: 0x7f }), 1);
  add(VmMsg.VM_START, VmidRequest.encode({ vmid: 0x7f }), 2);
  add(MemMsg.MEM_RECLAIM, new Uint8Array([0xee, 0xee, 0, 0, 0, 0, 0, 0]), 3);
  add(MemMsg.MEM_LEND, new Uint8Array(500).fill(0xa5), 4); // three fragments
  return out;
}

const packetArb = (seeds: Uint8Array[]) =>
  fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 250 }),
    fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(239), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat(240)),
      )
      .map(([base, edits, cut]) => {
        const b = base.slice(0, cut ?? base.length);
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        return b;
      }),
    fc
      .record({
        type: fc.integer({ min: 0, max: 3 }),
        fragments: fc.integer({ min: 0, max: 63 }),
        seq: fc.integer({ min: 0, max: 3 }),
        msgId: fc.constantFrom(VmMsg.VM_START, MemMsg.MEM_LEND, 0x1234),
        body: fc.uint8Array({ maxLength: 232 }),
      })
      .map((h) => {
        const head = encodeHeader({
          type: h.type as 0 | 1 | 2 | 3,
          fragments: h.fragments & 0x3f,
          seq: h.seq,
          msgId: h.msgId,
        });
        const out = new Uint8Array(8 + h.body.length);
        out.set(head);
        out.set(h.body, 8);
        return out;
      }),
  );

test("fuzz: the reassembler never throws, never exceeds the limits, and recovers", () => {
  const seeds = seedPackets();
  fc.assert(
    fc.property(fc.array(packetArb(seeds), { maxLength: 80 }), (packets) => {
      const re = new Reassembler();
      for (const p of packets) {
        const r = re.push(p);
        if (r.kind === "message") {
          assert.ok(r.message.payload.length <= RPC_MAX_MESSAGE_SIZE);
          assert.notEqual(r.message.type, MsgType.CONTINUATION);
        }
      }
      // Whatever came before, a complete valid message gets through intact.
      const payload = new Uint8Array(300).map((_, i) => i);
      const msg = { type: MsgType.REQUEST, seq: 9, msgId: VmMsg.VM_GET_STATE, payload } as const;
      const frags = fragmentMessage(msg);
      assert.ok(frags.ok);
      let got;
      for (const f of frags.value) got = re.push(f.bytes);
      assert.equal(got?.kind, "message");
      if (got?.kind === "message") assert.deepEqual(got.message, msg);
    }),
    { numRuns: RUNS * 5, seed: SEED },
  );
});

test("fuzz: the reassembler delivers exactly what a model of the receiver rules predicts", () => {
  // Model: fragments of several valid messages, possibly interleaved; a message is
  // delivered iff all its packets arrive consecutively.
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.nat(800), seq: fc.nat(0xffff) }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.boolean(),
      (specs, interleave) => {
        const streams = specs.map((s, i) => {
          const r = fragmentMessage({
            type: MsgType.NOTIFICATION,
            seq: s.seq,
            msgId: 0x100 + i,
            payload: new Uint8Array(s.size).fill(i),
          });
          assert.ok(r.ok);
          return r.value.map((p) => p.bytes);
        });
        const order: [number, Uint8Array][] = [];
        if (interleave) {
          const idx = streams.map(() => 0);
          let left = streams.reduce((n, s) => n + s.length, 0);
          let k = 0;
          while (left > 0) {
            const s = k++ % streams.length;
            if (idx[s]! < streams[s]!.length) {
              order.push([s, streams[s]![idx[s]!++]!]);
              left--;
            }
          }
        } else streams.forEach((s, i) => s.forEach((p) => order.push([i, p])));
        const expected = streams
          .map((_, i) => i)
          .filter((i) => {
            const positions = order.map(([s], at) => (s === i ? at : -1)).filter((x) => x >= 0);
            return positions.every((p, j) => j === 0 || p === positions[j - 1]! + 1);
          });
        const re = new Reassembler();
        const got: number[] = [];
        for (const [, p] of order) {
          const r = re.push(p);
          if (r.kind === "message") got.push(r.message.msgId - 0x100);
        }
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
});

test("fuzz: the RM's receive path skips garbage, keeps serving, and changes nothing", async () => {
  const { platform, client } = bootTestPlatform(3);
  const seeds = seedPackets();
  const before = leakSnapshot(platform);
  const vmsBefore = platform.rm.vms.size;
  const readOnly = new Set<number>([
    VmMsg.VM_GET_STATE,
    VmMsg.VM_GET_VMID,
    VmMsg.VM_GET_HYP_RESOURCES,
  ]);
  let changed = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(packetArb(seeds), { maxLength: 16 }), async (packets) => {
      client.strayReplies.length = 0;
      for (const p of packets) client.sendPacket(p, true);
      const reply = await client.call(VmMsg.VM_GET_STATE, vmidReq(3));
      assert.equal(reply.error, RmError.OK);
      assert.equal(VmStateReply.decode(reply.data)!.vmStatus, VmStatus.RUNNING);
      // A mutation may still form a real request: only a successful one may change state.
      const mayChange = client.strayReplies.some(
        (m) =>
          !readOnly.has(m.msgId) &&
          m.payload.length >= 4 &&
          m.payload.subarray(0, 4).every((b) => b === 0),
      );
      if (mayChange) changed++;
      else {
        assert.equal(platform.rm.vms.size, vmsBefore);
        assert.equal(platform.rm.parcels.size, 0);
        assert.equal(leakSnapshot(platform), before);
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  assert.ok(changed < RUNS / 4, "most runs must be checked for no change");
  const stats = platform.rm.stats().channels[3]!;
  assert.ok(stats.dropped > 0, "garbage was seen and dropped");
});

test("fuzz: every handler survives random payloads; the RM still builds and tears down VMs", async () => {
  const { platform, client } = bootTestPlatform(4);
  const ids = [...Object.values(VmMsg), ...Object.values(MemMsg)];
  const guest = await createVm(client, { dtbPa: platform.host.ram.base + 0x10_0000 });
  fc.assert(
    fc.property(
      fc.constantFrom(...ids),
      fc.constantFrom(3, guest.vmid),
      fc.uint8Array({ maxLength: 120 }),
      (id, caller, payload) => {
        const r = platform.rm.handleRequest(caller, id, payload);
        assert.ok(Object.values(RmError).includes(r.error as RmError), `error ${r.error}`);
      },
    ),
    { numRuns: RUNS * 5, seed: SEED },
  );
  // Afterwards the RM still serves: tear every VM down and bring a new one up.
  for (const vmid of platform.rm.dynamicVmids()) {
    const vm = platform.rm.vms.get(vmid)!;
    if (vm.status === VmStatus.RUNNING)
      await client.call(VmMsg.VM_STOP, new Uint8Array([vmid, 0, 1, 0, 0, 0, 0, 0]));
  }
  for (const h of [...Array(4096).keys()]) {
    const p = platform.rm.parcels.get(h);
    if (p && p.owner === 3)
      await client.call(MemMsg.MEM_RECLAIM, new Uint8Array([h & 0xff, h >> 8, 0, 0, 0, 0, 0, 0]));
  }
  const again = await createVm(client, { dtbPa: platform.host.ram.base + 0x20_0000 });
  assert.equal(platform.rm.vms.get(again.vmid)?.status, VmStatus.READY);
  await destroyVm(client, again, false);
});
