// FINDING (src/lib/fdt.ts, parseStructure / readCString): the parser decodes a node
// name with TextDecoder and then advances by `name.length` (UTF-16 code units of the
// decoded string) instead of by the name's length in bytes. For any name with bytes
// >= 0x80 the two differ, so the parser continues at the wrong offset: it rejects
// blobs its own serializer wrote, and a hostile blob can make it read tokens out of
// a node name's bytes or padding, i.e. see a different tree than libfdt / Linux sees
// (a parser differential on the DTB the RM parses at VM_INIT). Undecodable bytes are
// also replaced by U+FFFD, so a name is changed silently instead of refused.
// Expected: advance by the C string's byte length; refuse names outside the DT
// spec's character set (Devicetree spec 2.2.1) rather than rewriting them.
// Run: node --import tsx --test test/adversarial/findings/fdt-utf8-names.repro.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFdt, parseFdt, serializeFdt } from "../../../src/lib/fdt.js";
import { configDtb } from "../harness.js";

test("a tree with a non-ASCII node name round-trips, or is refused for its name (observed: misparsed)", () => {
  const fdt = createFdt();
  fdt.root.addChild("ééé").setU32("x", 1);
  const blob = serializeFdt(fdt);
  const r = parseFdt(blob);
  // Observed: { reason: 'unknown token 3282632704', offset: 72 }.
  assert.ok(r.ok || /character|name/.test(r.error.reason), JSON.stringify(r.ok ? "" : r.error));
});

test("a byte 0x80 in a node name is refused, not rewritten to U+FFFD", () => {
  const blob = configDtb(2);
  blob[Buffer.from(blob).indexOf("memory")] = 0x80;
  const r = parseFdt(blob);
  // Observed: accepted, and the node is named "\uFFFDemory" (3 bytes longer when written back).
  assert.equal(r.ok, false, "a node name with a byte outside the DT character set");
});

test("a crafted blob makes the parser see a property no spec-conformant parser sees", () => {
  // Node "éééé" is 8 bytes + NUL + 3 padding bytes; libfdt (and Linux) skip the padding
  // and read the FDT_PROP "bootargs" with a 16-byte value. gunyah-ts advances by the
  // decoded length (4), reads the padding as a token (set to FDT_PROP here), and then
  // parses the bootargs value as a second, hidden property "#address-cells" = "ABCD".
  const fdt = createFdt();
  fdt.root.setU32("#address-cells", 2);
  const value = new Uint8Array(16);
  const dv = new DataView(value.buffer);
  dv.setUint32(0, 3); // FDT_PROP, inside the value
  dv.setUint32(4, 4); // len
  dv.setUint32(8, 0); // nameoff 0: "#address-cells"
  value.set([0x41, 0x42, 0x43, 0x44], 12);
  fdt.root.addChild("éééé").setBytes("bootargs", value);
  const blob = serializeFdt(fdt);
  const name = Buffer.from(blob).indexOf(Buffer.from("éééé"));
  blob[name + 11] = 3; // padding after the name's NUL, which the spec leaves unread
  const r = parseFdt(blob);
  assert.ok(r.ok);
  const node = r.value.root.children[0]!;
  // Observed: ["ootargs", "#address-cells"] with "#address-cells" = "ABCD".
  assert.deepEqual([...node.props.keys()], ["bootargs"]);
});
