import { test } from "node:test";
import assert from "node:assert/strict";
import { CoalescedOutput } from "../../src/cli/output.js";

test("UART bytes are coalesced into one write per event-loop turn, in order", async () => {
  const writes: string[] = [];
  const out = new CoalescedOutput((b) => writes.push(new TextDecoder().decode(b)));
  const buf = Uint8Array.of(0x61);
  out.write(buf);
  buf[0] = 0x7a; // the caller may reuse its buffer: the bytes were copied
  out.write(Uint8Array.of(0x62, 0x63));
  assert.deepEqual(writes, [], "nothing written synchronously");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ["abc"]);
  out.write(Uint8Array.of(0x64));
  out.flush();
  assert.deepEqual(writes, ["abc", "d"], "flush drains at once");
  out.flush();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ["abc", "d"], "no empty writes");
});
