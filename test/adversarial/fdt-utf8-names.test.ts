// REGRESSION (was findings/fdt-utf8-names.repro.ts; fixed in src/lib/fdt.ts): the parser
// decoded a node name with TextDecoder and advanced by the decoded string's length
// (UTF-16 code units) instead of the name's length in bytes. For any name with bytes
// >= 0x80 the two differ, so it continued at the wrong offset: it rejected blobs its own
// serializer wrote, and a hostile blob could make it read tokens out of a node name's
// padding, i.e. see a different tree than libfdt / Linux sees (a parser differential on
// the DTB the RM parses at VM_INIT). Undecodable bytes were also replaced by U+FFFD.
// Now: the parser advances by the C string's byte length and refuses node and property
// names outside the DT spec's character sets (Devicetree spec v0.4 2.2.1, 2.2.4); the
// serializer refuses to write such names (an InvariantError: names are ours, not a guest's).
// Run: node --import tsx --test test/adversarial/fdt-utf8-names.test.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFdt, parseFdt, serializeFdt } from "../../src/lib/fdt.js";
import { InvariantError } from "../../src/lib/assert.js";
import { configDtb } from "./harness.js";

/** Serializes with an ASCII placeholder name, then writes `name`'s bytes over it. */
function blobWithNodeName(placeholder: string, name: Uint8Array, value?: Uint8Array): Uint8Array {
  assert.equal(placeholder.length, name.length);
  const fdt = createFdt();
  fdt.root.setU32("#address-cells", 2);
  const node = fdt.root.addChild(placeholder);
  if (value) node.setBytes("bootargs", value);
  else node.setU32("x", 1);
  const blob = serializeFdt(fdt);
  const at = Buffer.from(blob).indexOf(Buffer.from(`${placeholder}\0`));
  assert.ok(at > 0);
  blob.set(name, at);
  return blob;
}

test("the serializer refuses a non-ASCII node name instead of writing a misparsable blob", () => {
  const fdt = createFdt();
  fdt.root.addChild("ééé").setU32("x", 1);
  assert.throws(() => serializeFdt(fdt), InvariantError);
});

test("a blob with a UTF-8 node name is refused for its name (was: unknown token, misparsed)", () => {
  const r = parseFdt(blobWithNodeName("abcdef", Buffer.from("ééé")));
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.error.reason, /node name/);
});

test("a byte 0x80 in a node name is refused, not rewritten to U+FFFD", () => {
  const blob = configDtb(2);
  blob[Buffer.from(blob).indexOf("memory")] = 0x80;
  const r = parseFdt(blob);
  assert.equal(r.ok, false, "a node name with a byte outside the DT character set");
  assert.match(r.ok ? "" : r.error.reason, /node name/);
});

test("a crafted blob cannot make the parser see a property hidden in another's value", () => {
  // Node "éééé" is 8 bytes + NUL + 3 padding bytes; libfdt (and Linux) skip the padding
  // and read the FDT_PROP "bootargs" with a 16-byte value. The old parser advanced by
  // the decoded length (4), read the padding as a token (set to FDT_PROP here), and then
  // parsed the bootargs value as a second, hidden property "#address-cells" = "ABCD".
  const value = new Uint8Array(16);
  const dv = new DataView(value.buffer);
  dv.setUint32(0, 3); // FDT_PROP, inside the value
  dv.setUint32(4, 4); // len
  dv.setUint32(8, 0); // nameoff 0: "#address-cells"
  value.set([0x41, 0x42, 0x43, 0x44], 12);
  const blob = blobWithNodeName("abcdefgh", Buffer.from("éééé"), value);
  const name = Buffer.from(blob).indexOf(Buffer.from("éééé"));
  blob[name + 11] = 3; // padding after the name's NUL, which the spec leaves unread
  const r = parseFdt(blob);
  // Refused outright: the name is outside the DT character set. Never a hidden property.
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.error.reason, /node name/);
});

test("the same blob with an ASCII name of the same byte length parses as libfdt sees it", () => {
  const value = new Uint8Array(16);
  const dv = new DataView(value.buffer);
  dv.setUint32(0, 3);
  dv.setUint32(4, 4);
  dv.setUint32(8, 0);
  value.set([0x41, 0x42, 0x43, 0x44], 12);
  const blob = blobWithNodeName("abcdefgh", Buffer.from("zzzzzzzz"), value);
  const name = Buffer.from(blob).indexOf(Buffer.from("zzzzzzzz"));
  blob[name + 11] = 3; // padding is never read: the next token starts after it
  const r = parseFdt(blob);
  assert.ok(r.ok, JSON.stringify(r.ok ? "" : r.error));
  const node = r.value.root.children[0]!;
  assert.equal(node.name, "zzzzzzzz");
  assert.deepEqual([...node.props.keys()], ["bootargs"]);
  assert.deepEqual(node.getBytes("bootargs"), value);
});
