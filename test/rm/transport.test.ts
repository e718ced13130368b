// RpcChannel against a scripted hypervisor port: draining skips garbage and never
// gives up, a full send queue holds packets until the send VIRQ, and notifications
// are shed before replies when a client stops reading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Call, HypError, HYPERCALL_BASE, type HypercallPort } from "../../src/hyp/abi/index.js";
import { Hyp } from "../../src/rm/hvc.js";
import { RpcChannel } from "../../src/rm/transport.js";
import { fragmentMessage, MsgType, type RpcMessage } from "../../src/rm/protocol/index.js";

class FakeQueues implements HypercallPort {
  readonly inbound: Uint8Array[] = [];
  readonly outbound: { bytes: Uint8Array; push: boolean }[] = [];
  capacity = Infinity;
  receiveError: number | undefined;
  readonly ram = new Uint8Array(0x2000);

  hvc(functionId: number, args: readonly bigint[]): readonly [bigint, bigint, bigint, bigint] {
    const n = functionId - HYPERCALL_BASE;
    const ok = (a = 0n, b = 0n): [bigint, bigint, bigint, bigint] => [0n, a, b, 0n];
    const fail = (e: number): [bigint, bigint, bigint, bigint] => [
      BigInt.asUintN(64, BigInt(e)),
      0n,
      0n,
      0n,
    ];
    if (n === Call.MSGQUEUE_RECEIVE) {
      if (this.receiveError !== undefined) return fail(this.receiveError);
      const p = this.inbound.shift();
      if (!p) return fail(HypError.MSGQUEUE_EMPTY);
      this.ram.set(p, Number(args[1]! - 0x1000n));
      return ok(BigInt(p.length), this.inbound.length > 0 ? 1n : 0n);
    }
    if (n === Call.MSGQUEUE_SEND) {
      if (this.outbound.length >= this.capacity) return fail(HypError.MSGQUEUE_FULL);
      const at = Number(args[2]! - 0x1000n);
      this.outbound.push({ bytes: this.ram.slice(at, at + Number(args[1])), push: args[3] === 1n });
      return ok(1n);
    }
    return fail(HypError.UNIMPLEMENTED);
  }
}

function setup() {
  const port = new FakeQueues();
  const handlers = new Map<number, () => void>();
  const messages: RpcMessage[] = [];
  const channel = new RpcChannel(
    new Hyp(port),
    { onVirq: (v, h) => (handlers.set(v, h), () => handlers.delete(v)) },
    {
      ipa: 0x1000,
      memory: {
        read: (ipa, len) => ({ ok: true, value: port.ram.slice(ipa - 0x1000, ipa - 0x1000 + len) }),
        write: (ipa, data) => (port.ram.set(data, ipa - 0x1000), { ok: true, value: undefined }),
      },
    },
    { clientVmid: 3, rxCap: 1n, txCap: 2n, rxVirq: 40, txVirq: 41 },
    (_c, m) => messages.push(m),
  );
  return { port, handlers, messages, channel };
}

const request = (seq: number, size = 4) => {
  const r = fragmentMessage({
    type: MsgType.REQUEST,
    seq,
    msgId: 0x56000017,
    payload: new Uint8Array(size),
  });
  assert.ok(r.ok);
  return r.value.map((p) => p.bytes);
};

test("transport: garbage is skipped, the queue is drained to the end", () => {
  const { port, handlers, messages, channel } = setup();
  port.inbound.push(
    new Uint8Array([1, 2, 3]),
    ...request(1),
    new Uint8Array(8),
    ...request(2, 500),
  );
  handlers.get(40)!();
  assert.deepEqual(
    messages.map((m) => m.seq),
    [1, 2],
  );
  assert.equal(channel.stats.dropped, 2);
  assert.equal(port.inbound.length, 0);
});

test("transport: a long run of garbage yields to the event loop and then continues", async () => {
  const { port, handlers, messages } = setup();
  for (let i = 0; i < 600; i++) port.inbound.push(new Uint8Array([0xff]));
  port.inbound.push(...request(7));
  handlers.get(40)!();
  assert.equal(messages.length, 0, "budget reached first");
  for (let i = 0; i < 5 && messages.length === 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(messages[0]?.seq, 7);
});

test("transport: a receive error other than EMPTY ends this drain, the next VIRQ retries", () => {
  const { port, handlers, messages } = setup();
  port.inbound.push(...request(3));
  port.receiveError = HypError.CSPACE_CAP_REVOKED;
  handlers.get(40)!();
  assert.equal(messages.length, 0);
  port.receiveError = undefined;
  handlers.get(40)!();
  assert.equal(messages.length, 1);
});

test("transport: a full queue holds packets in order until the send VIRQ; push on the last", () => {
  const { port, handlers, channel } = setup();
  port.capacity = 1;
  const big = new Uint8Array(600);
  assert.ok(channel.send({ type: MsgType.REPLY, seq: 9, msgId: 1, payload: big }));
  assert.equal(port.outbound.length, 1);
  assert.equal(channel.pendingOut, 2);
  port.capacity = Infinity;
  handlers.get(41)!();
  assert.equal(channel.pendingOut, 0);
  assert.deepEqual(
    port.outbound.map((p) => [p.bytes[1]! & 3, p.push]),
    [
      [2, false],
      [0, false],
      [0, true],
    ],
  );
});

test("transport: notifications are shed before replies when the client stops reading", () => {
  const { port, channel } = setup();
  port.capacity = 0;
  let sent = 0;
  while (channel.send({ type: MsgType.NOTIFICATION, seq: 0, msgId: 2, payload: new Uint8Array(4) }))
    sent++;
  assert.equal(sent, 1024);
  assert.ok(
    channel.send({ type: MsgType.REPLY, seq: 1, msgId: 3, payload: new Uint8Array(4) }),
    "replies still queue",
  );
  assert.ok(channel.stats.sendFailures >= 1);
  channel.close();
  assert.equal(channel.pendingOut, 0);
  assert.equal(
    channel.send({ type: MsgType.REPLY, seq: 2, msgId: 3, payload: new Uint8Array(4) }),
    false,
  );
});

test("transport: a new request in the middle of a fragmented one drops the partial one", () => {
  const { port, handlers, messages, channel } = setup();
  const [first, second] = request(1, 300);
  port.inbound.push(first!, ...request(2), second!);
  handlers.get(40)!();
  assert.deepEqual(
    messages.map((m) => m.seq),
    [2],
  );
  assert.equal(channel.reassembler.stats.discardedPartials, 1);
  assert.equal(channel.stats.dropped, 1, "the orphaned continuation");
});
