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
