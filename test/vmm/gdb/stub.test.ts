// The GDB protocol engine against a fake target: framing, checksums and escapes, the
// packets gdb-multiarch uses, and hostile input (malformed, oversized, random bytes):
// every packet gets a well-formed reply and the stub keeps serving.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { err, ok } from "../../../src/lib/result.js";
import {
  GdbStub,
  type GdbTarget,
  type StopEvent,
  type WatchRequest,
} from "../../../src/vmm/gdb/stub.js";
import { PacketParser, framePacket, MAX_PACKET } from "../../../src/vmm/gdb/packet.js";
import { TARGET_XML } from "../../../src/vmm/gdb/target-xml.js";

const runs = Number(process.env.GUNYAH_FUZZ_RUNS ?? 200);

class FakeTarget implements GdbTarget {
  readonly vcpuCount = 2;
  regs = Array.from({ length: 2 }, () => Array.from({ length: 68 }, (_, i) => BigInt(i)));
  memory = new Map<bigint, number>();
  resumed: { breakpoints: bigint[]; watchpoints: WatchRequest[]; step?: number }[] = [];
  interrupts = 0;
  detached = false;
  killed = false;
  readRegister(vcpu: number, reg: number) {
    const v = this.regs[vcpu]?.[reg];
    return v === undefined ? err("bad") : ok(v);
  }
  writeRegister(vcpu: number, reg: number, value: bigint) {
    const r = this.regs[vcpu];
    if (!r || reg >= r.length) return err("bad");
    r[reg] = value;
    return ok(undefined);
  }
  readMemory(_vcpu: number, address: bigint, length: number) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const b = this.memory.get(address + BigInt(i));
      if (b === undefined) return err("unmapped");
      out[i] = b;
    }
    return ok(out);
  }
  writeMemory(_vcpu: number, address: bigint, data: Uint8Array) {
    for (let i = 0; i < data.length; i++)
      if (!this.memory.has(address + BigInt(i))) return err("unmapped");
    data.forEach((b, i) => this.memory.set(address + BigInt(i), b));
    return ok(undefined);
  }
  resume(arm: { breakpoints: bigint[]; watchpoints: WatchRequest[] }, step?: number) {
    this.resumed.push({ ...arm, ...(step !== undefined ? { step } : {}) });
  }
  interrupt() {
    this.interrupts++;
  }
  detach() {
    this.detached = true;
  }
  kill() {
    this.killed = true;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

function session(initial: StopEvent | "running" = { vcpu: 0, reason: "interrupt" }) {
  const target = new FakeTarget();
  const sent: Uint8Array[] = [];
  let closed = false;
  const stub = new GdbStub(
    { send: (b) => void sent.push(b), close: () => void (closed = true) },
    target,
    initial === "running" ? undefined : initial,
  );
  const parser = new PacketParser();
  /** Sends one packet; returns the reply payloads (acks dropped). */
  const ask = (payload: string | Uint8Array): string[] => {
    sent.length = 0;
    stub.receive(framePacket(typeof payload === "string" ? enc.encode(payload) : payload));
    return replies();
  };
  const replies = (): string[] => {
    const out: string[] = [];
    for (const b of sent)
      for (const e of parser.feed(b)) if (e.kind === "packet") out.push(dec.decode(e.payload));
    sent.length = 0;
    return out;
  };
  return { stub, target, ask, replies, raw: sent, closed: () => closed };
}

test("framing: checksum, ack, escapes; a bad checksum gets '-' and nothing else", () => {
  const s = session();
  s.raw.length = 0;
  s.stub.receive(enc.encode("$?#00"));
  assert.deepEqual([...s.raw.map((b) => dec.decode(b))], ["-"]);
  s.raw.length = 0;
  s.stub.receive(enc.encode("$?#3f"));
  assert.equal(dec.decode(s.raw[0]!), "+");
  assert.equal(dec.decode(s.raw[1]!), "$T02thread:1;#d4");
  // `}`-escaped bytes in a reply are undone by the parser.
  assert.equal(dec.decode(framePacket(enc.encode("a#b"))), "$a}\x03b#43");
});

test("qSupported, the target description in chunks, threads", () => {
  const s = session();
  assert.deepEqual(s.ask("qSupported:multiprocess+;swbreak+"), [
    `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;vContSupported+`,
  ]);
  let xml = "";
  for (let off = 0; ; off += 0x100) {
    const [r = ""] = s.ask(`qXfer:features:read:target.xml:${off.toString(16)},100`);
    xml += r.slice(1);
    if (r.startsWith("l")) break;
    assert.ok(r.startsWith("m"));
  }
  assert.equal(xml, TARGET_XML);
  assert.match(xml, /org\.gnu\.gdb\.aarch64\.core/);
  assert.match(xml, /<reg name="v31" bitsize="128" type="aarch64v" regnum="65"\/>/);
  assert.deepEqual(s.ask("qXfer:features:read:other.xml:0,10"), ["E00"]);
  assert.deepEqual(s.ask("qfThreadInfo"), ["m1,2"]);
  assert.deepEqual(s.ask("qsThreadInfo"), ["l"]);
  assert.deepEqual(s.ask("Hg2"), ["OK"]);
  assert.deepEqual(s.ask("Hg3"), ["E01"]);
  assert.deepEqual(s.ask("T2"), ["OK"]);
  assert.deepEqual(s.ask("T9"), ["E01"]);
  assert.deepEqual(s.ask("qThreadExtraInfo,2"), [Buffer.from("vCPU 1").toString("hex")]);
});

test("registers: g has 33 x 8 + 4 + 32 x 16 + 4 + 4 bytes; p and P by number", () => {
  const s = session();
  const [g = ""] = s.ask("g");
  assert.equal(g.length, 2 * (33 * 8 + 4 + 32 * 16 + 8));
  assert.equal(g.slice(0, 32), "00000000000000000100000000000000");
  assert.deepEqual(s.ask("p20"), ["2000000000000000"]); // pc = register 32
  assert.deepEqual(s.ask("p21"), ["21000000"]); // cpsr: 4 bytes
  assert.deepEqual(s.ask("P20=0010000000000000"), ["OK"]);
  assert.equal(s.target.regs[0]![32], 0x1000n);
  assert.deepEqual(s.ask("P20=00"), ["E01"]); // wrong size
  assert.deepEqual(s.ask("p44"), ["E01"]); // no register 68
  assert.deepEqual(s.ask("pzz"), ["E01"]);
  assert.deepEqual(s.ask(`G${g}`), ["OK"]);
  assert.deepEqual(s.ask("G00"), ["E01"]);
});

test("memory: m/M/X with errors for unmapped bytes and bad lengths", () => {
  const s = session();
  for (let i = 0n; i < 16n; i++) s.target.memory.set(0x4000n + i, Number(i));
  assert.deepEqual(s.ask("m4000,4"), ["00010203"]);
  assert.deepEqual(s.ask("m400e,4"), ["E0e"]);
  assert.deepEqual(s.ask("M4000,2:abcd"), ["OK"]);
  assert.deepEqual(s.ask("m4000,2"), ["abcd"]);
  assert.deepEqual(s.ask("M4000,2:abc"), ["E01"]);
  // X with binary data: 0x23 ('#') travels `}`-escaped as 7d 03 (framePacket does it).
  assert.deepEqual(s.ask(Uint8Array.of(0x58, ...enc.encode("4000,2:"), 0x23, 0x41)), ["OK"]);
  assert.deepEqual(s.ask("m4000,2"), ["2341"]);
  assert.deepEqual(s.ask("X4000,0:"), ["OK"]);
  assert.deepEqual(s.ask("mffffffffffffffffff,4"), ["E01"]);
  assert.deepEqual(s.ask("m0,100000"), ["E01"]);
});

test("breakpoints and watchpoints are armed on resume; the stop comes later", () => {
  const s = session();
  assert.deepEqual(s.ask("Z0,40001000,4"), ["OK"]);
  assert.deepEqual(s.ask("Z1,40002000,4"), ["OK"]);
  assert.deepEqual(s.ask("Z0,40001002,4"), ["E01"]); // unaligned
  assert.deepEqual(s.ask("Z2,40003000,8"), ["OK"]);
  assert.deepEqual(s.ask("Z9,0,4"), ["E01"]);
  assert.deepEqual(s.ask("c"), []);
  assert.deepEqual(s.target.resumed.at(-1), {
    breakpoints: [0x40001000n, 0x40002000n],
    watchpoints: [{ address: 0x40003000n, length: 8, type: 2 }],
  });
  // A packet while running waits for the stop; Ctrl-C interrupts.
  s.stub.receive(Uint8Array.of(3));
  assert.equal(s.target.interrupts, 1);
  s.stub.stopped({ vcpu: 1, reason: "watchpoint", address: 0x40003004n, isWrite: true });
  assert.deepEqual(s.replies(), ["T05watch:40003004;thread:2;"]);
  assert.deepEqual(s.ask("z2,40003000,8"), ["OK"]);
  assert.deepEqual(s.ask("vCont;s:2;c"), []);
  assert.equal(s.target.resumed.at(-1)?.step, 1);
  s.stub.stopped({ vcpu: 1, reason: "step" });
  assert.deepEqual(s.replies(), ["T05thread:2;"]);
  assert.deepEqual(s.ask("vCont;x"), ["E01"]);
  assert.deepEqual(s.ask("vCont?"), ["vCont;c;C;s;S"]);
});

test("attaching to a running guest stops it; packets sent meanwhile are answered after", () => {
  const s = session("running");
  assert.equal(s.target.interrupts, 1);
  assert.deepEqual(s.ask("qSupported"), []);
  assert.deepEqual(s.ask("?"), []);
  s.stub.stopped({ vcpu: 0, reason: "interrupt" });
  const r = s.replies();
  assert.equal(r.length, 2);
  assert.ok(r[0]!.startsWith("PacketSize="));
  assert.equal(r[1], "T02thread:1;");
});

test("detach and kill end the session; the guest is exited with W", () => {
  const s = session();
  assert.deepEqual(s.ask("D"), ["OK"]);
  assert.ok(s.target.detached && s.closed());
  const k = session();
  k.ask("k");
  assert.ok(k.target.killed && k.closed());
  const w = session();
  w.stub.exited(0);
  assert.deepEqual(w.replies(), ["W00"]);
});

test("an oversized packet is dropped with E01 and the stub keeps serving", () => {
  const s = session();
  const big = "m" + "0".repeat(MAX_PACKET + 10);
  assert.deepEqual(s.ask(big), ["E01"]);
  assert.deepEqual(s.ask("qfThreadInfo"), ["m1,2"]);
});

test("fuzz: random bytes and random packets never throw; a valid packet still works", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.string({ maxLength: 40 }).map((t) => framePacket(enc.encode(t))),
        ),
      ),
      (chunks) => {
        const s = session();
        for (const c of chunks) s.stub.receive(c);
        // Whatever state the noise left (even a resume): stop it, then a fresh packet.
        s.stub.stopped({ vcpu: 0, reason: "interrupt" });
        if (s.closed()) return;
        s.stub.receive(enc.encode("$#00"));
        const r = s.ask("qfThreadInfo");
        assert.ok(r.includes("m1,2"), JSON.stringify(r));
      },
    ),
    { numRuns: runs },
  );
});
