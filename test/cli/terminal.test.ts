import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { terminalInput } from "../../src/cli/terminal.js";

function fakeTty(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & {
    isTTY: boolean;
    setRawMode(on: boolean): void;
    raw: boolean[];
  };
  stream.isTTY = isTTY;
  stream.raw = [];
  stream.setRawMode = (on) => void stream.raw.push(on);
  return stream;
}

const tick = () => new Promise((r) => setImmediate(r));

test("on a terminal: raw mode while attached, Ctrl-A X leaves, Ctrl-A Ctrl-A sends one Ctrl-A", async () => {
  const tty = fakeTty(true);
  const got: number[] = [];
  let escapes = 0;
  const detach = terminalInput(tty as unknown as NodeJS.ReadStream).attach(
    (b) => got.push(...b),
    () => void escapes++,
  );
  assert.deepEqual(tty.raw, [true]);
  tty.write(Buffer.from([0x6c, 0x73, 0x03, 0x01, 0x01, 0x0d])); // l s Ctrl-C Ctrl-A Ctrl-A CR
  await tick();
  assert.deepEqual(got, [0x6c, 0x73, 0x03, 0x01, 0x0d], "Ctrl-C goes to the guest");
  tty.write(Buffer.from([0x01]));
  tty.write(Buffer.from([0x78])); // the escape may span two reads
  await tick();
  assert.equal(escapes, 1);
  detach();
  assert.deepEqual(tty.raw, [true, false], "terminal restored");
  tty.write(Buffer.from("ignored"));
  await tick();
  assert.equal(got.length, 5, "nothing after detach");
});

test("piped input passes through unchanged, Ctrl-A included", async () => {
  const pipe = fakeTty(false);
  const got: number[] = [];
  const detach = terminalInput(pipe as unknown as NodeJS.ReadStream).attach(
    (b) => got.push(...b),
    () => assert.fail("no escape on a pipe"),
  );
  pipe.write(Buffer.from([0x01, 0x78, 0x41]));
  await tick();
  assert.deepEqual(got, [0x01, 0x78, 0x41]);
  assert.deepEqual(pipe.raw, [], "no raw mode on a pipe");
  detach();
});
