// FDT parser/serializer: round trips, golden bytes, and hostile blobs (the RM parses a
// DTB that a VMM wrote into guest memory).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createFdt,
  FdtNode,
  findByPhandle,
  isValidNodeName,
  isValidPropertyName,
  maxPhandle,
  parseFdt,
  serializeFdt,
  type Fdt,
} from "../../src/lib/fdt.js";
import { InvariantError } from "../../src/lib/assert.js";

function sample(): Fdt {
  const fdt = createFdt();
  fdt.root.setU32("#address-cells", 2).setU32("#size-cells", 2).setString("model", "gunyah");
  const mem = fdt.root.addChild("memory@40000000");
  mem.setString("device_type", "memory").setU32("reg", 0, 0x4000_0000, 0, 0x1000_0000);
  const gic = fdt.root.addChild("intc@8000000");
  gic.setU32("phandle", 7).setStrings("compatible", "arm,gic-v3", "arm,gic");
  gic.setEmpty("interrupt-controller");
  fdt.memReserve.push({ address: 0x4800_0000n, size: 0x1000n });
  return fdt;
}

test("fdt: round trip keeps nodes, properties, reservations and boot cpu", () => {
  const fdt = sample();
  fdt.bootCpuId = 3;
  const blob = serializeFdt(fdt);
  const parsed = parseFdt(blob);
  assert.ok(parsed.ok);
  const back = parsed.value;
  assert.equal(back.bootCpuId, 3);
  assert.deepEqual(back.memReserve, [{ address: 0x4800_0000n, size: 0x1000n }]);
  assert.equal(back.root.getString("model"), "gunyah");
  const mem = back.root.find("/memory@40000000");
  assert.ok(mem);
  assert.deepEqual(mem.getRegs("reg", 2, 2), [{ address: 0x4000_0000n, size: 0x1000_0000n }]);
  assert.deepEqual(back.root.find("intc@8000000")?.getStrings("compatible"), [
    "arm,gic-v3",
    "arm,gic",
  ]);
  assert.equal(maxPhandle(back.root), 7);
  assert.equal(findByPhandle(back.root, 7)?.name, "intc@8000000");
  // Serializing the parsed tree gives the same bytes.
  assert.deepEqual(serializeFdt(back), blob);
});

test("fdt: golden bytes of a minimal tree", () => {
  const fdt = createFdt();
  fdt.root.setU32("a", 1);
  const hex = Buffer.from(serializeFdt(fdt)).toString("hex");
  // header (10 words), empty reservation map, struct: BEGIN_NODE "" PROP(len 4, nameoff 0) 1
  // END_NODE END, strings "a\0".
  assert.equal(
    hex,
    "d00dfeed0000005a000000380000005800000028000000110000001000000000" +
      "0000000200000020" +
      "00000000000000000000000000000000" +
      "00000001000000000000000300000004000000000000000100000002" +
      "00000009" +
      "6100",
  );
});

test("fdt: getters refuse malformed values", () => {
  const n = new FdtNode("x");
  n.setBytes("odd", new Uint8Array([1, 2, 3]));
  n.setBytes("unterminated", new Uint8Array([0x61, 0x62]));
  n.setU32("two", 1, 2);
  assert.equal(n.getU32("odd"), undefined);
  assert.equal(n.getU32("two"), undefined);
  assert.equal(n.getU64("two"), (1n << 32n) | 2n);
  assert.equal(n.getString("unterminated"), undefined);
  assert.equal(n.getRegs("two", 2, 2), undefined);
  assert.equal(n.getU32("missing"), undefined);
});

test("fdt: hostile headers and structures are refused", () => {
  const good = serializeFdt(sample());
  const mutate = (f: (v: DataView) => void) => {
    const b = good.slice();
    f(new DataView(b.buffer));
    return b;
  };
  assert.equal(parseFdt(good.subarray(0, 20)).ok, false);
  assert.equal(parseFdt(mutate((v) => v.setUint32(0, 0xdeadbeef))).ok, false);
  assert.equal(parseFdt(mutate((v) => v.setUint32(4, good.length + 1))).ok, false);
  assert.equal(parseFdt(mutate((v) => v.setUint32(8, 0xffff_fff0))).ok, false);
  assert.equal(parseFdt(mutate((v) => v.setUint32(36, 0xffff_fff0))).ok, false);
  assert.equal(parseFdt(mutate((v) => v.setUint32(32, 0xffff_fff0))).ok, false);
  assert.equal(parseFdt(mutate((v) => v.setUint32(20, 15))).ok, false);
  // Truncating the structure block loses the END token.
  const off = new DataView(good.buffer).getUint32(8);
  assert.equal(parseFdt(mutate((v) => v.setUint32(36, 8))).ok, false);
  // An unknown token right at the start.
  assert.equal(parseFdt(mutate((v) => v.setUint32(off, 0x77))).ok, false);
  // A property whose name offset points past the strings block.
  assert.equal(parseFdt(mutate((v) => v.setUint32(off + 8 + 8, 0x7fff_ffff))).ok, false);
});

test("fdt: depth and node limits hold", () => {
  const fdt = createFdt();
  let node = fdt.root;
  for (let i = 0; i < 40; i++) node = node.addChild(`n${i}`);
  const blob = serializeFdt(fdt);
  assert.equal(parseFdt(blob).ok, false);
  assert.ok(parseFdt(blob, { maxSize: 1 << 20, maxDepth: 64, maxNodes: 100, maxProps: 10 }).ok);
});

test("fdt: random mutations never throw", () => {
  const good = serializeFdt(sample());
  const runs = Number(process.env.GUNYAH_FUZZ_RUNS ?? 500);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 8,
      }),
      (edits) => {
        const b = good.slice();
        for (const [at, value] of edits) b[at] = value;
        const r = parseFdt(b);
        if (r.ok) serializeFdt(r.value);
      },
    ),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
      parseFdt(b);
    }),
    { numRuns: runs },
  );
});

test("fdt: a version 16 blob (no size_dt_struct) parses, bounded by its END token", () => {
  const blob = serializeFdt(sample());
  const v = new DataView(blob.buffer);
  v.setUint32(20, 16);
  v.setUint32(36, 0); // v16: the field does not exist
  const r = parseFdt(blob);
  assert.ok(r.ok);
  assert.equal(r.value.root.getString("model"), "gunyah");
});

test("fdt: node and property names follow the devicetree character sets (spec 2.2.1, 2.2.4)", () => {
  for (const good of ["cpus", "cpu@0", "memory@40000000", "pl011@9000000", "a,b._+-c@1,2"])
    assert.ok(isValidNodeName(good), good);
  for (const bad of ["", "@1", "cpu@", "a@b@c", "ééé", "a b", "a/b", "a#b", "a?b", "\u0080"])
    assert.ok(!isValidNodeName(bad), JSON.stringify(bad));
  for (const good of ["reg", "#address-cells", "linux,initrd-start", "a?b", "x_y.z+w"])
    assert.ok(isValidPropertyName(good), good);
  for (const bad of ["", "a@b", "a b", "é", "a/b", "a\u0000"])
    assert.ok(!isValidPropertyName(bad), JSON.stringify(bad));
});

/** Serializes `fdt`, then overwrites the first occurrence of `from` (ASCII) with `to`'s bytes. */
function patched(fdt: Fdt, from: string, to: Uint8Array): Uint8Array {
  const blob = serializeFdt(fdt);
  const at = Buffer.from(blob).indexOf(Buffer.from(`${from}\0`));
  assert.ok(at > 0 && to.length === from.length);
  blob.set(to, at);
  return blob;
}

test("fdt: the parser refuses names with bytes outside the character sets, never rewrites them", () => {
  const fdt = createFdt();
  fdt.root.addChild("abcdef").setU32("propxy", 1);
  assert.ok(parseFdt(serializeFdt(fdt)).ok);
  // Node names: UTF-8, a lone 0x80, a space, a second "@".
  for (const name of [
    Buffer.from("ééé"),
    Uint8Array.of(0x80, 98, 99, 100, 101, 102),
    Buffer.from("ab def"),
    Buffer.from("a@b@cd"),
  ]) {
    const r = parseFdt(patched(fdt, "abcdef", name));
    assert.equal(r.ok, false, Buffer.from(name).toString("latin1"));
    assert.match(r.ok ? "" : r.error.reason, /node name/);
  }
  // Property names in the strings block.
  for (const name of [
    Buffer.from("pré!x"),
    Uint8Array.of(0x70, 0x72, 0x6f, 0xff, 0x78, 0x79),
    Buffer.from("pro@xy"),
  ]) {
    const r = parseFdt(patched(fdt, "propxy", name));
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.error.reason, /property name/);
  }
});

test("fdt: the parser advances by a name's bytes: the token after it is read where libfdt reads it", () => {
  // A 5-byte name (+ NUL = 6, padded to 8): the next token starts 8 bytes after the name.
  const fdt = createFdt();
  fdt.root.addChild("n@1,2").setU32("x", 7);
  fdt.root.addChild("sib").setEmpty("y");
  const r = parseFdt(serializeFdt(fdt));
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.root.children.map((c) => [c.name, [...c.props.keys()]]),
    [
      ["n@1,2", ["x"]],
      ["sib", ["y"]],
    ],
  );
});

test("fdt: the serializer refuses names outside the character sets (an internal bug, not input)", () => {
  const badNode = createFdt();
  badNode.root.addChild("ééé");
  assert.throws(() => serializeFdt(badNode), InvariantError);
  const badProp = createFdt();
  badProp.root.addChild("ok").setU32("not valid", 1);
  assert.throws(() => serializeFdt(badProp), InvariantError);
  const namedRoot = createFdt();
  namedRoot.root.props.set("model", new Uint8Array(1));
  assert.doesNotThrow(() => serializeFdt(namedRoot));
});

test("fdt: any tree of valid names round-trips exactly", () => {
  const nodeName = fc.stringMatching(/^[0-9A-Za-z,._+-]{1,12}(@[0-9A-Za-z,._+-]{1,8})?$/);
  const propName = fc.stringMatching(/^[0-9A-Za-z,._+?#-]{1,16}$/);
  fc.assert(
    fc.property(
      fc.uniqueArray(nodeName, { maxLength: 6 }),
      fc.uniqueArray(propName, { maxLength: 6 }),
      (nodes, props) => {
        const fdt = createFdt();
        for (const n of nodes) {
          const child = fdt.root.addChild(n);
          props.forEach((p, i) => child.setU32(p, i));
        }
        const r = parseFdt(serializeFdt(fdt));
        assert.ok(r.ok);
        assert.deepEqual(
          r.value.root.children.map((c) => [c.name, [...c.props.keys()]]),
          nodes.map((n) => [n, props]),
        );
      },
    ),
    { numRuns: Number(process.env.GUNYAH_FUZZ_RUNS ?? 200) },
  );
});
