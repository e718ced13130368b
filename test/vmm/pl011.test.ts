import { test } from "node:test";
import assert from "node:assert/strict";
import { Flag, Int, Pl011, Pl011Reg, PENDING_INPUT_LIMIT } from "../../src/vmm/pl011.js";
import { setLogSink } from "../../src/lib/log.js";

function uart() {
  const out: number[] = [];
  const levels: boolean[] = [];
  const dev = new Pl011((b) => out.push(...b), { set: (l) => levels.push(l) });
  const rd = (off: number, w: 1 | 2 | 4 = 4) => {
    const r = dev.read(off, w);
    assert.ok(r.ok);
    return Number(r.value);
  };
  const wr = (off: number, v: number, w: 1 | 2 | 4 = 4) =>
    assert.ok(dev.write(off, w, BigInt(v)).ok);
  return { dev, out, levels, rd, wr };
}

// Reserved-offset accesses log (rate limited); keep test output clean.
setLogSink(() => {});

test("reset values: TX empty, RX empty, CR = TXE|RXE, IFLS = 1/2", () => {
  const { rd } = uart();
  assert.equal(rd(Pl011Reg.FR), Flag.TXFE | Flag.RXFE);
  assert.equal(rd(Pl011Reg.CR), 0x300);
  assert.equal(rd(Pl011Reg.IFLS), 0x12);
  assert.equal(rd(Pl011Reg.IMSC), 0);
  assert.equal(rd(Pl011Reg.RIS), 0);
});

test("PrimeCell identification registers match what Linux's amba bus probes", () => {
  const { rd } = uart();
  const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => rd(o));
  assert.deepEqual(ids, [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  // amba_device reads periphid as the low bytes of the four words: part 0x011, Arm (0x41).
  const periphid = ids.slice(0, 4).reduce((acc, b, i) => acc | (b << (8 * i)), 0);
  assert.equal(periphid & 0x000f_ffff, 0x0004_1011);
  const cid = ids.slice(4).reduce((acc, b, i) => acc | (b << (8 * i)), 0) >>> 0;
  assert.equal(cid, 0xb105_f00d);
});

test("a byte written to DR goes to the sink; 8- and 16-bit writes work too", () => {
  const { out, wr } = uart();
  wr(Pl011Reg.DR, 0x41);
  wr(Pl011Reg.DR, 0x142, 2); // only the low 8 bits are the character
  wr(Pl011Reg.DR, 0x43, 1);
  assert.deepEqual(out, [0x41, 0x42, 0x43]);
});

test("baud, line control and control registers keep their implemented bits", () => {
  const { rd, wr } = uart();
  wr(Pl011Reg.IBRD, 0x1_0027);
  wr(Pl011Reg.FBRD, 0xff);
  wr(Pl011Reg.LCR_H, 0x170);
  wr(Pl011Reg.CR, 0xffff_ffff);
  assert.equal(rd(Pl011Reg.IBRD), 0x0027);
  assert.equal(rd(Pl011Reg.FBRD), 0x3f);
  assert.equal(rd(Pl011Reg.LCR_H), 0x70);
  assert.equal(rd(Pl011Reg.CR), 0xff87);
});

test("TX interrupt: raised by a write, masked by IMSC, cleared by ICR; the line follows MIS", () => {
  const { rd, wr, levels } = uart();
  wr(Pl011Reg.DR, 0x41);
  assert.equal(rd(Pl011Reg.RIS) & Int.TX, Int.TX);
  assert.equal(rd(Pl011Reg.MIS), 0, "masked");
  assert.deepEqual(levels, []);
  wr(Pl011Reg.IMSC, Int.TX);
  assert.equal(rd(Pl011Reg.MIS), Int.TX);
  assert.deepEqual(levels, [true]);
  wr(Pl011Reg.ICR, Int.TX);
  assert.equal(rd(Pl011Reg.RIS), 0);
  assert.deepEqual(levels, [true, false]);
});

test("RX without FIFOs: one byte at a time, the rest waits; RX and RT interrupts follow", () => {
  const { dev, rd, wr, levels } = uart();
  wr(Pl011Reg.IMSC, Int.RX | Int.RT);
  dev.receive(new TextEncoder().encode("ok"));
  assert.equal(
    rd(Pl011Reg.FR) & (Flag.RXFE | Flag.RXFF),
    Flag.RXFF,
    "one-byte holding register full",
  );
  assert.equal(rd(Pl011Reg.RIS) & (Int.RX | Int.RT), Int.RX | Int.RT);
  assert.deepEqual(levels, [true]);
  assert.equal(rd(Pl011Reg.DR), 0x6f);
  assert.equal(rd(Pl011Reg.DR), 0x6b);
  assert.equal(rd(Pl011Reg.FR) & Flag.RXFE, Flag.RXFE);
  assert.equal(rd(Pl011Reg.RIS) & (Int.RX | Int.RT), 0);
  assert.deepEqual(levels, [true, false]);
  assert.equal(rd(Pl011Reg.DR), 0, "empty FIFO reads 0");
});

test("RX with FIFOs: 16 deep, RXRIS at the IFLS trigger level, RTRIS for leftovers", () => {
  const { dev, rd, wr } = uart();
  wr(Pl011Reg.LCR_H, 0x70); // FEN, 8 bits
  wr(Pl011Reg.IFLS, 0); // RX trigger 1/8 = 2 bytes
  dev.receive(Uint8Array.of(1));
  assert.equal(rd(Pl011Reg.RIS) & (Int.RX | Int.RT), Int.RT, "below the trigger: timeout only");
  dev.receive(Uint8Array.of(2));
  assert.equal(rd(Pl011Reg.RIS) & Int.RX, Int.RX);
  dev.receive(new Uint8Array(20).fill(7));
  assert.equal(rd(Pl011Reg.FR) & Flag.RXFF, Flag.RXFF);
  const got: number[] = [];
  while ((rd(Pl011Reg.FR) & Flag.RXFE) === 0) got.push(rd(Pl011Reg.DR));
  assert.equal(got.length, 22, "pending input refills the FIFO as it drains: nothing lost");
  assert.deepEqual(got.slice(0, 3), [1, 2, 7]);
});

test("a sub-word read of DR's upper byte does not pop the FIFO", () => {
  const { dev, rd } = uart();
  dev.receive(Uint8Array.of(0x55));
  assert.equal(rd(Pl011Reg.DR + 1, 1), 0);
  assert.equal(rd(Pl011Reg.DR, 1), 0x55);
});

test("input beyond the pending limit is dropped and reported as an overrun", () => {
  const { dev, rd } = uart();
  dev.receive(new Uint8Array(PENDING_INPUT_LIMIT + 5));
  assert.equal(dev.inputDropped, 5, "the pending queue holds exactly its limit");
  assert.ok(rd(Pl011Reg.RSR_ECR) & 0x8, "RSR.OE");
  assert.ok(rd(Pl011Reg.RIS) & Int.OE);
});

test("writes to read-only and reserved registers are ignored, reserved reads are zero", () => {
  const { rd, wr } = uart();
  wr(Pl011Reg.FR, 0);
  wr(Pl011Reg.RIS, 0x7ff);
  wr(0xfe0, 0);
  wr(0x100, 0x1234);
  assert.equal(rd(Pl011Reg.FR), Flag.TXFE | Flag.RXFE);
  assert.equal(rd(Pl011Reg.RIS), 0);
  assert.equal(rd(0xfe0), 0x11);
  assert.equal(rd(0x100), 0);
});
