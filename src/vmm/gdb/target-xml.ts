// The target description GDB reads with qXfer:features:read:target.xml (GDB manual,
// "Target Descriptions" and "AArch64 Features"): the org.gnu.gdb.aarch64.core feature
// (x0-x30, sp, pc, cpsr) and org.gnu.gdb.aarch64.fpu (v0-v31 as the usual union of
// lane views, fpsr, fpcr). Register numbers follow from the order: x0 0 .. x30 30,
// sp 31, pc 32, cpsr 33, v0 34 .. v31 65, fpsr 66, fpcr 67, the numbering the
// hypervisor's debug calls use too (hyp/abi/debug.ts DebugRegister).

/** Register sizes in bytes, by register number (the `g` packet's layout). */
export const REGISTER_BYTES: readonly number[] = [
  ...Array<number>(33).fill(8), // x0-x30, sp, pc
  4, // cpsr
  ...Array<number>(32).fill(16), // v0-v31
  4, // fpsr
  4, // fpcr
];

function coreFeature(): string {
  const regs: string[] = [];
  for (let i = 0; i <= 30; i++) regs.push(`<reg name="x${i}" bitsize="64"/>`);
  return [
    '<feature name="org.gnu.gdb.aarch64.core">',
    ...regs,
    '<reg name="sp" bitsize="64" type="data_ptr"/>',
    '<reg name="pc" bitsize="64" type="code_ptr"/>',
    '<flags id="cpsr_flags" size="4">',
    '<field name="SP" start="0" end="0" type="bool"/>',
    '<field name="EL" start="2" end="3" type="uint32"/>',
    '<field name="F" start="6" end="6" type="bool"/>',
    '<field name="I" start="7" end="7" type="bool"/>',
    '<field name="A" start="8" end="8" type="bool"/>',
    '<field name="D" start="9" end="9" type="bool"/>',
    '<field name="IL" start="20" end="20" type="bool"/>',
    '<field name="SS" start="21" end="21" type="bool"/>',
    '<field name="V" start="28" end="28" type="bool"/>',
    '<field name="C" start="29" end="29" type="bool"/>',
    '<field name="Z" start="30" end="30" type="bool"/>',
    '<field name="N" start="31" end="31" type="bool"/>',
    "</flags>",
    '<reg name="cpsr" bitsize="32" type="cpsr_flags"/>',
    "</feature>",
  ].join("");
}

function fpuFeature(): string {
  const vectors: [string, string, number][] = [
    ["v2d", "ieee_double", 2],
    ["v2u", "uint64", 2],
    ["v2i", "int64", 2],
    ["v4f", "ieee_single", 4],
    ["v4u", "uint32", 4],
    ["v4i", "int32", 4],
    ["v8u", "uint16", 8],
    ["v8i", "int16", 8],
    ["v16u", "uint8", 16],
    ["v16i", "int8", 16],
    ["v1u", "uint128", 1],
    ["v1i", "int128", 1],
  ];
  const unions: [string, [string, string][]][] = [
    [
      "vnd",
      [
        ["f", "v2d"],
        ["u", "v2u"],
        ["s", "v2i"],
      ],
    ],
    [
      "vns",
      [
        ["f", "v4f"],
        ["u", "v4u"],
        ["s", "v4i"],
      ],
    ],
    [
      "vnh",
      [
        ["u", "v8u"],
        ["s", "v8i"],
      ],
    ],
    [
      "vnb",
      [
        ["u", "v16u"],
        ["s", "v16i"],
      ],
    ],
    [
      "vnq",
      [
        ["u", "v1u"],
        ["s", "v1i"],
      ],
    ],
    [
      "aarch64v",
      [
        ["d", "vnd"],
        ["s", "vns"],
        ["h", "vnh"],
        ["b", "vnb"],
        ["q", "vnq"],
      ],
    ],
  ];
  const parts = ['<feature name="org.gnu.gdb.aarch64.fpu">'];
  for (const [id, type, count] of vectors)
    parts.push(`<vector id="${id}" type="${type}" count="${count}"/>`);
  for (const [id, fields] of unions) {
    parts.push(`<union id="${id}">`);
    for (const [name, type] of fields) parts.push(`<field name="${name}" type="${type}"/>`);
    parts.push("</union>");
  }
  for (let i = 0; i < 32; i++)
    parts.push(`<reg name="v${i}" bitsize="128" type="aarch64v" regnum="${34 + i}"/>`);
  parts.push('<reg name="fpsr" bitsize="32"/>', '<reg name="fpcr" bitsize="32"/>', "</feature>");
  return parts.join("");
}

export const TARGET_XML =
  '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target>' +
  "<architecture>aarch64</architecture>" +
  coreFeature() +
  fpuFeature() +
  "</target>";
