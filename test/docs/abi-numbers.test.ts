// docs/abi-numbers.md lists the hypercall numbers gunyah-ts pins where Gunyah's public
// sources give none (the vRTC's vendor calls, the debug extension) and the vRTC's RM
// message: each row must be what hyp/abi and rm/protocol define, and every pinned call
// of hyp/abi must have its row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Call, hypercallId, VcpuRunState } from "../../src/hyp/abi/index.js";
import { VmMsg } from "../../src/rm/protocol/index.js";

const doc = readFileSync(
  resolve(import.meta.dirname, "..", "..", "docs", "abi-numbers.md"),
  "utf8",
);

/** Table rows `| 0x1000 | 0xC600_9000 | partition_create_vrtc | ...`. */
function rows(): Array<{ n: number; id: number; name: string }> {
  const out = [];
  for (const m of doc.matchAll(/^\| (0x[0-9a-f]+) \| (0x[0-9A-F_]+) \| ([a-z_]+) \|/gm))
    out.push({ n: Number(m[1]), id: Number(m[2]!.replace(/_/g, "")), name: m[3]! });
  return out;
}

test("docs/abi-numbers.md: every row is the call hyp/abi pins, with its SMCCC function id", () => {
  const listed = rows();
  assert.ok(listed.length >= 9, `rows read: ${listed.length}`);
  for (const r of listed) {
    const key = r.name.toUpperCase() as keyof typeof Call;
    assert.equal(Call[key], r.n, `${r.name}: hyp/abi/calls.ts has ${Call[key]}`);
    assert.equal(hypercallId(r.n), r.id, `${r.name}'s function id`);
  }
  // Every call numbered outside Gunyah's own range (below 0x69) is in the document.
  const pinned = Object.entries(Call).filter(([, n]) => n >= 0x69);
  assert.deepEqual(pinned.map(([k]) => k.toLowerCase()).sort(), listed.map((r) => r.name).sort());
});

test("docs/abi-numbers.md: the DEBUG_STOP state and VM_SET_TIME_BASE's id are the code's", () => {
  const hex = (n: number) => `0x${n.toString(16)}`;
  assert.match(doc, new RegExp(`state DEBUG_STOP, ${hex(VcpuRunState.DEBUG_STOP)}`));
  const id = VmMsg.VM_SET_TIME_BASE.toString(16);
  assert.match(doc, new RegExp(`VM_SET_TIME_BASE, is 0x${id.slice(0, 4)}_${id.slice(4)}`));
});
