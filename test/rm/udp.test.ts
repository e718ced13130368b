// `gunyah rm-server --udp`: conformance over real UDP on 127.0.0.1. The test is the
// host VM: requests (single and fragmented) get replies, a VM allocation brings its
// VM_STATUS notification, and malformed datagrams are dropped without stopping the
// server. --max-datagrams ends the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { Command } from "commander";
import { parseUdpAddress, registerRmServerCommand } from "../../src/cli/commands/rm-server.js";
import {
  concatBytes,
  encodeList,
  fragmentMessage,
  MemCreateHeader,
  MemMsg,
  MsgType,
  parseReply,
  Reassembler,
  RmError,
  RmNotification,
  SglEntry,
  AclEntry,
  AttrEntry,
  VmidReply,
  VmidRequest,
  VmMsg,
  VmStatusNotification,
  type RpcMessage,
} from "../../src/rm/protocol/index.js";

test("rm-server: address parsing refuses non-loopback", () => {
  assert.deepEqual(parseUdpAddress("127.0.0.1:4000"), { host: "127.0.0.1", port: 4000 });
  assert.deepEqual(parseUdpAddress("[::1]:0"), { host: "::1", port: 0 });
  assert.throws(() => parseUdpAddress("0.0.0.0:4000"));
  assert.throws(() => parseUdpAddress("192.168.1.2:4000"));
  assert.throws(() => parseUdpAddress("localhost:4000"));
  assert.throws(() => parseUdpAddress("127.0.0.1:70000"));
  assert.throws(() => parseUdpAddress("127.0.0.1"));
});

test("rm-server: UDP conformance on 127.0.0.1", async () => {
  const requests: [number, Uint8Array][] = [];
  const bigSgl = [...Array(20).keys()].map((i) => ({ ipa: BigInt(i * 0x1000 + 8), size: 0x1000n }));
  const lend = concatBytes(
    MemCreateHeader.encode({ memType: 0, flags: 0, label: 0 }),
    encodeList(AclEntry, [{ vmid: 0x80, rights: 6 }]),
    encodeList(SglEntry, bigSgl),
    encodeList(AttrEntry, []),
  );
  requests.push([VmMsg.VM_GET_VMID, new Uint8Array(0)]);
  requests.push([VmMsg.VM_ALLOC_VMID, VmidRequest.encode({ vmid: 0 })]);
  requests.push([MemMsg.MEM_LEND, lend]);
  requests.push([0x5600_7777, new Uint8Array(4)]);
  const packets = requests.map(([msgId, payload], i) => {
    const r = fragmentMessage({ type: MsgType.REQUEST, seq: 100 + i, msgId, payload });
    assert.ok(r.ok);
    return r.value.map((p) => p.bytes);
  });
  assert.equal(packets[2]!.length, 2, "MEM_LEND is fragmented");
  const garbage = [
    new Uint8Array([0x21, 0x01, 0x00]), // short
    new Uint8Array(300).fill(0x21), // larger than a packet
    new Uint8Array([0x22, 0x01, 0, 0, 1, 0, 0, 0x56]), // bad version
    new Uint8Array([0x21, 0x04, 5, 0, 1, 0, 0, 0x56]), // orphan continuation
    new Uint8Array(0), // empty
  ];
  const total = packets.flat().length + garbage.length;

  // Run the command in-process; learn its port from what it prints.
  const writes: string[] = [];
  const realWrite = process.stdout.write.bind(process.stdout);
  let portResolve: (p: number) => void = () => {};
  const port = new Promise<number>((r) => (portResolve = r));
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const s = String(chunk);
    const m = /rm-server listening on 127\.0\.0\.1:(\d+)/.exec(s);
    if (m) portResolve(Number(m[1]));
    writes.push(s);
    return m ? true : realWrite(chunk, ...(rest as []));
  }) as typeof process.stdout.write;
  let exitCode = -1;
  const program = new Command("gunyah").exitOverride();
  registerRmServerCommand(program, (c) => (exitCode = c));
  const served = program.parseAsync(
    [
      "rm-server",
      "--udp",
      "127.0.0.1:0",
      "--max-datagrams",
      String(total),
      "--ram-size",
      String(64 << 20),
    ],
    { from: "user" },
  );
  const serverPort = await port;
  process.stdout.write = realWrite;

  const client = createSocket("udp4");
  const re = new Reassembler();
  const received: RpcMessage[] = [];
  const arrived: (() => void)[] = [];
  client.on("message", (msg) => {
    const r = re.push(new Uint8Array(msg));
    if (r.kind === "message") received.push(r.message);
    for (const a of arrived.splice(0)) a();
  });
  await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
  const send = (b: Uint8Array) =>
    new Promise<void>((r) => client.send(b, serverPort, "127.0.0.1", () => r()));
  const replyTo = async (seq: number) => {
    for (let i = 0; i < 100; i++) {
      const hit = received.find((m) => m.type === MsgType.REPLY && m.seq === seq);
      if (hit) return hit;
      await new Promise<void>((r) => {
        arrived.push(r);
        setTimeout(r, 50);
      });
    }
    throw new Error(`no reply to seq ${seq}`);
  };

  // Garbage first, interleaved with real requests: the server keeps answering.
  await send(garbage[0]!);
  for (const p of packets[0]!) await send(p);
  const vmid = await replyTo(100);
  assert.deepEqual(parseReply(vmid.payload)?.error, RmError.OK);
  assert.equal(VmidReply.decode(parseReply(vmid.payload)!.data)?.vmid, 3);
  for (const g of garbage.slice(1)) await send(g);
  for (const p of packets[1]!) await send(p);
  const alloc = parseReply((await replyTo(101)).payload)!;
  assert.equal(alloc.error, RmError.OK);
  const newVmid = VmidReply.decode(alloc.data)!.vmid;
  for (const p of packets[2]!) await send(p);
  // The whole fragmented message arrived: its SGL (not its framing) is what failed.
  assert.equal(parseReply((await replyTo(102)).payload)?.error, RmError.ARGUMENT_INVALID);
  for (const p of packets[3]!) await send(p);
  assert.equal(parseReply((await replyTo(103)).payload)?.error, RmError.UNIMPLEMENTED);

  const status = received.find(
    (m) => m.type === MsgType.NOTIFICATION && m.msgId === RmNotification.VM_STATUS,
  );
  assert.ok(status, "VM_STATUS notification for the new VM");
  assert.equal(VmStatusNotification.decode(status.payload)?.vmid, newVmid);
  // Only replies and notifications come back: garbage is never echoed or answered.
  assert.equal(received.length, 5);
  for (const m of received) assert.ok(m.type === MsgType.REPLY || m.type === MsgType.NOTIFICATION);

  await served;
  client.close();
  assert.equal(exitCode, 0);
});
