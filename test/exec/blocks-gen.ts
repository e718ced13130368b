// Generates random blocks of A64 integer code as assembly text for blocks.test.ts:
// ALU with and without flags, forward conditional branches, CBZ/TBZ, bounded backward
// loops, BL/RET to local leaf functions, loads and stores of every size and addressing
// mode into a data buffer (bases always inside it, some misaligned), exclusive pairs
// (LDXR/STXR, LDXP/STXP, a CLREX between them, a lone STXR that must fail),
// and (for the last block of a fault program) a load or store to an unmapped address.
// `bareProgram` makes the same blocks a function for a bare-metal EL1 guest
// (test/conformance/blocks.test.ts), with aborting accesses anywhere in a block.
//
// Register roles: X0-X26 are random operands; X27 is the loop counter; X28 holds the
// buffer's address; X29 is a base register for memory accesses; X30 the link register.
// After each block a dump writes X0-X30, NZCV and the whole buffer to stdout.

export const BUFFER = 2048;
/** Bytes written per block: 32 registers-worth (X0-X30, NZCV), then the buffer. */
export const RECORD = 256 + BUFFER;

export class Rng {
  private s: bigint;
  constructor(seed: bigint) {
    this.s = seed || 1n;
  }
  next64(): bigint {
    let s = this.s;
    s ^= (s << 13n) & 0xffff_ffff_ffff_ffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffff_ffff_ffff_ffffn;
    this.s = s;
    return s;
  }
  int(n: number): number {
    return Number(this.next64() % BigInt(n));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("empty pick");
    return item;
  }
}

const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"];
const EDGES = [0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n, 0xffff_ffffn, 0x8000_0000n];

/** Addresses with nothing behind them on QEMU's virt board with 64 MiB of RAM and on
 * gunyah-ts's (just past RAM, and far beyond it): guests/conformance/abort.c's. */
const UNBACKED = ["0x44000000", "0x44001000", "0x80000000"];

class Block {
  readonly lines: string[] = [];
  private label = 0;
  constructor(
    private readonly r: Rng,
    private readonly id: string,
    /** Memory accesses may go to an unbacked address (bare metal: the vector records it). */
    private readonly faults = false,
  ) {}

  fresh(): string {
    return `.L${this.id}_${this.label++}`;
  }
  emit(...l: string[]): void {
    this.lines.push(...l.map((s) => (s.endsWith(":") ? s : `\t${s}`)));
  }
  /** A random operand register X0-X26. */
  reg(): number {
    return this.r.int(27);
  }
  x(n = this.reg()): string {
    return `x${n}`;
  }
  w(n = this.reg()): string {
    return `w${n}`;
  }

  alu(): void {
    const r = this.r;
    const sf = r.int(2) === 0;
    const R = (n?: number) => (sf ? this.x(n) : this.w(n));
    const s = r.int(2) === 0 ? "s" : "";
    switch (r.int(12)) {
      case 0:
        return this.emit(`${r.pick(["add", "sub"])}${s} ${R()}, ${R()}, ${R()}`);
      case 1:
        return this.emit(`${r.pick(["add", "sub"])}${s} ${R()}, ${R()}, #${r.int(4096)}`);
      case 2:
        return this.emit(
          `${r.pick(["and", "bic", "orr", "eor", "orn", "eon"])} ${R()}, ${R()}, ${R()}, ${r.pick(["lsl", "lsr", "asr", "ror"])} #${r.int(sf ? 64 : 32)}`,
        );
      case 3:
        return this.emit(`${r.pick(["ands", "bics"])} ${R()}, ${R()}, ${R()}`);
      case 4:
        return this.emit(`${r.pick(["adc", "sbc"])}${s} ${R()}, ${R()}, ${R()}`);
      case 5:
        return this.emit(
          `${r.pick(["csel", "csinc", "csinv", "csneg"])} ${R()}, ${R()}, ${R()}, ${r.pick(CONDS)}`,
        );
      case 6:
        return this.emit(
          `${r.pick(["ccmp", "ccmn"])} ${R()}, #${r.int(32)}, #${r.int(16)}, ${r.pick(CONDS)}`,
        );
      case 7:
        return this.emit(
          `${r.pick(["mul", "madd", "msub"]) === "mul" ? `mul ${R()}, ${R()}, ${R()}` : `madd ${R()}, ${R()}, ${R()}, ${R()}`}`,
        );
      case 8:
        return this.emit(
          `${r.pick(["udiv", "sdiv", "lslv", "lsrv", "asrv", "rorv"])} ${R()}, ${R()}, ${R()}`,
        );
      case 9:
        return this.emit(
          `${r.pick(["ubfx", "sbfx"])} ${R()}, ${R()}, #${r.int(16)}, #${1 + r.int(16)}`,
        );
      case 10:
        return this.emit(`${r.pick(["cmp", "cmn", "tst"])} ${R()}, ${R()}`);
      default:
        return this.emit(
          `${r.pick(["movz", "movk", "movn"])} ${R()}, #${r.int(65536)}, lsl #${sf ? 16 * r.int(4) : 16 * r.int(2)}`,
        );
    }
  }

  /** Bare metal runs with the MMU off, where data accesses are Device memory and a
   * misaligned one is an alignment fault (Arm ARM B2.5, "Alignment support"); gunyah-ts
   * raises it, the qemu-system-aarch64 7.2 here does not (measured: DFSC 0x21 here,
   * none there). So bare metal makes aligned accesses only; `drawn` keeps the draws of
   * the Linux programs unchanged. */
  alignment(drawn: number, size: number): number {
    return this.faults ? size : drawn;
  }
  aligned(offset: number, size: number): number {
    return this.faults ? Math.floor(offset / size) * size : offset;
  }

  /** Points X29 at buffer + [512, 1536) (some odd addresses), for an access within ±512. */
  base(aligned: number): void {
    if (this.faults && this.r.int(10) === 0) {
      this.emit(`ldr x29, =${this.r.pick(UNBACKED)} + ${512 + this.r.int(64) * aligned}`);
      return;
    }
    const off = 512 + this.r.int(1024 / aligned) * aligned;
    this.emit(`add x29, x28, #${off}`);
  }

  memory(): void {
    const r = this.r;
    const kinds: [string, string, number][] = [
      ["ldrb", "strb", 1],
      ["ldrh", "strh", 2],
      ["ldr w", "str w", 4],
      ["ldr x", "str x", 8],
      ["ldrsb x", "", 1],
      ["ldrsh w", "", 2],
      ["ldrsw", "", 4],
    ];
    const [ld, st, size] = r.pick(kinds);
    const store = st !== "" && r.int(2) === 0;
    const op = store ? st : ld;
    const [mn, wide] = op.includes(" ") ? op.split(" ") : [op, op === "ldrsw" ? "x" : "w"];
    const rt = `${wide}${this.reg()}`;
    this.base(this.alignment(r.int(3) === 0 ? 1 : size, size));
    const imm = this.aligned(r.int(128) - 64, size);
    switch (r.int(6)) {
      case 0:
        return this.emit(`${mn} ${rt}, [x29, #${imm}]`);
      case 1:
        return this.emit(`${mn} ${rt}, [x29, #${imm}]!`);
      case 2:
        return this.emit(`${mn} ${rt}, [x29], #${imm}`);
      case 3: {
        const i = this.reg();
        this.emit(`mov x${i}, #${r.int(8)}`);
        const shift = this.faults ? 1 : r.int(2);
        return this.emit(`${mn} ${rt}, [x29, x${i}, lsl #${shift * Math.log2(size)}]`);
      }
      case 4: {
        const i = this.reg();
        this.emit(`mov x${i}, #${this.aligned(r.int(128) - 64, size)}`);
        return this.emit(`${mn} ${rt}, [x29, w${i}, sxtw]`);
      }
      default:
        return this.emit(`${mn} ${rt}, [x29, #${r.int(64) * size}]`);
    }
  }

  pair(): void {
    const r = this.r;
    const sf = r.int(2) === 0;
    const size = sf ? 8 : 4;
    const a = this.reg();
    let b = this.reg();
    if (b === a) b = (a + 1) % 27;
    const R = (n: number) => (sf ? `x${n}` : `w${n}`);
    const mn = r.pick(["ldp", "stp", "ldp", "stp", ...(sf ? [] : ["ldpsw"])]);
    const regs = mn === "ldpsw" ? `x${a}, x${b}` : `${R(a)}, ${R(b)}`;
    this.base(this.alignment(r.int(3) === 0 ? 1 : size, size));
    const imm = (r.int(16) - 8) * size;
    this.emit(`${mn} ${regs}, ${r.pick([`[x29, #${imm}]`, `[x29, #${imm}]!`, `[x29], #${imm}`])}`);
  }

  /** An exclusive pair that succeeds, one CLREX makes fail, a store-exclusive with no
   * load before it (fails: the monitor is open), or an LDXP/STXP pair. The status
   * register is a random operand, so later blocks consume it. */
  exclusive(): void {
    const r = this.r;
    const sf = r.int(2) === 0;
    const t = this.reg();
    let s = this.reg();
    if (s === t) s = (t + 1) % 27;
    const R = sf ? `x${t}` : `w${t}`;
    const [ld, st] = r.pick([
      ["ldxr", "stxr"],
      ["ldaxr", "stlxr"],
    ]);
    switch (r.int(5)) {
      case 0: {
        this.base(sf ? 8 : 4);
        return this.emit(`${ld} ${R}, [x29]`, "clrex", `${st} w${s}, ${R}, [x29]`);
      }
      case 1: {
        this.base(sf ? 8 : 4);
        return this.emit(`${st} w${s}, ${R}, [x29]`);
      }
      case 2: {
        let u = this.reg();
        while (u === t || u === s) u = (u + 1) % 27;
        const U = sf ? `x${u}` : `w${u}`;
        this.base(sf ? 16 : 8);
        return this.emit(
          `${r.pick(["ldxp", "ldaxp"])} ${R}, ${U}, [x29]`,
          `eor ${R}, ${R}, ${U}`,
          `${r.pick(["stxp", "stlxp"])} w${s}, ${R}, ${U}, [x29]`,
        );
      }
      default:
        this.base(sf ? 8 : 4);
        return this.emit(
          `${ld} ${R}, [x29]`,
          `add ${R}, ${R}, #${1 + r.int(100)}`,
          `${st} w${s}, ${R}, [x29]`,
        );
    }
  }

  /** Plain (non-branching) instructions. */
  straight(n: number): void {
    for (let i = 0; i < n; i++) {
      const k = this.r.int(10);
      if (k < 5) this.alu();
      else if (k < 8) this.memory();
      else if (k < 9) this.pair();
      else this.exclusive();
    }
  }

  forward(): void {
    const r = this.r;
    const skip = this.fresh();
    const t = this.reg();
    this.emit(
      r.pick([
        `b.${r.pick(CONDS)} ${skip}`,
        `cbz ${this.x(t)}, ${skip}`,
        `cbnz ${this.w(t)}, ${skip}`,
        `tbz ${this.x(t)}, #${r.int(64)}, ${skip}`,
        `tbnz ${this.w(t)}, #${r.int(32)}, ${skip}`,
      ]),
    );
    this.straight(1 + r.int(4));
    this.emit(`${skip}:`);
  }

  loop(): void {
    const top = this.fresh();
    this.emit(`mov x27, #${1 + this.r.int(5)}`, `${top}:`);
    this.straight(1 + this.r.int(5));
    this.emit("subs x27, x27, #1", `b.ne ${top}`);
  }
}

export interface BlockOptions {
  /** End with an access to an unmapped address (the program dies of SIGSEGV). */
  readonly fault?: boolean;
  /** For bare metal (`bareProgram`): accesses to unbacked addresses anywhere, each a
   * synchronous abort the guest's vector records and steps over; the dump is a call. */
  readonly bare?: boolean;
}

/** The assembly of one block: register and NZCV set-up, the random body, the dump. */
export function block(r: Rng, id: string, options: BlockOptions = {}): string[] {
  const b = new Block(r, id, options.bare === true);
  const dump = options.bare ? BARE_DUMP : DUMP;
  const init = `.Linit_${id}`;
  b.emit(`adrp x0, ${init}`, `add x0, x0, :lo12:${init}`, "ldr x1, [x0, #248]", "msr nzcv, x1");
  for (let i = 1; i < 31; i += 2) b.emit(`ldp x${i}, x${i + 1}, [x0, #${i * 8}]`);
  b.emit("ldr x0, [x0]", "adrp x28, buf", "add x28, x28, :lo12:buf");
  const fns: string[] = [];
  const pieces = 3 + r.int(6);
  for (let p = 0; p < pieces; p++) {
    const k = r.int(8);
    if (k < 3) b.straight(1 + r.int(4));
    else if (k < 5) b.forward();
    else if (k < 6) b.loop();
    else {
      const fn = `.Lfn_${id}_${fns.length}`;
      fns.push(fn);
      b.emit(`bl ${fn}`);
    }
  }
  if (options.fault) {
    b.lines.push(dump);
    const addr = r.pick([0x10, 0xdead_0000, 0x7f00_0000]);
    b.emit(`mov x29, #${addr}`, r.pick(["ldr x0, [x29]", "str x1, [x29, #8]", "ldrb w2, [x29]"]));
  }
  const end = b.fresh();
  b.lines.push(dump);
  b.emit(`b ${end}`);
  for (const fn of fns) {
    b.emit(`${fn}:`);
    b.straight(1 + r.int(4));
    b.emit("ret");
  }
  // The literal pool of `ldr x29, =<unbacked>`, where nothing runs into it.
  b.lines.push("\t.ltorg");
  b.emit(`${end}:`);
  const values: string[] = [];
  for (let i = 0; i < 31; i++) {
    const v = r.int(3) === 0 ? r.pick(EDGES) : r.int(4) === 0 ? BigInt(r.int(64)) : r.next64();
    values.push(`0x${v.toString(16)}`);
  }
  values.push(`0x${(r.int(16) << 28).toString(16)}`);
  b.lines.push("\t.data", "\t.balign 8", `${init}:`, `\t.quad ${values.join(", ")}`, "\t.text");
  return b.lines;
}

/** The dump, inline (a call would clobber X30): X0-X30 and NZCV into `save`, then
 * write(1, save, RECORD). X0, X1, X2 and X8 are clobbered. */
const DUMP = `\tmsr tpidr_el0, x0
\tadrp x0, save
\tadd x0, x0, :lo12:save
${Array.from({ length: 15 }, (_, i) => `\tstp x${2 * i + 1}, x${2 * i + 2}, [x0, #${(2 * i + 1) * 8}]`).join("\n")}
\tmrs x1, tpidr_el0
\tstr x1, [x0]
\tmrs x1, nzcv
\tstr x1, [x0, #248]
\tmov x1, x0
\tmov x0, #1
\tmov x2, #${RECORD}
\tmov x8, #64
\tsvc #0`;

/** The bare-metal dump: the registers into `save` as DUMP does, then a call to the
 * guest's blocks_dump (guests/blocks/driver.c), which prints them and the buffer's
 * checksum; X30 is saved before the call clobbers it. */
const BARE_DUMP = DUMP.slice(0, DUMP.indexOf("\tmov x1, x0")) + "\tbl blocks_dump";

/**
 * The blocks as a function for a bare-metal EL1 guest (guests/blocks): random_blocks
 * saves the caller's X19-X30, runs `count` blocks with unbacked accesses among them,
 * and returns; `save` and `buf` are global for the driver.
 */
export function bareProgram(r: Rng, count: number): string {
  const body: string[] = [];
  for (let k = 0; k < count; k++) body.push(...block(r, String(k), { bare: true }));
  const data: string[] = [];
  for (let i = 0; i < BUFFER; i += 8) data.push(`0x${r.next64().toString(16)}`);
  const host = (op: string) =>
    [19, 21, 23, 25, 27, 29].map((n, i) => `\t${op} x${n}, x${n + 1}, [x9, #${16 * i}]`);
  return [
    "\t.text",
    "\t.globl random_blocks, save, buf",
    "random_blocks:",
    "\tadrp x9, host_regs",
    "\tadd x9, x9, :lo12:host_regs",
    ...host("stp"),
    ...body,
    "\tadrp x9, host_regs",
    "\tadd x9, x9, :lo12:host_regs",
    ...host("ldp"),
    "\tret",
    "\t.ltorg",
    "\t.data",
    "\t.balign 16",
    "host_regs:\t.skip 96",
    "save:\t.skip 256",
    `buf:\t.quad ${data.join(", ")}`,
    "",
  ].join("\n");
}

/** A whole program: `count` blocks, each dumped; the last faults if asked. */
export function program(r: Rng, count: number, fault: boolean): string {
  const body: string[] = [];
  for (let k = 0; k < count; k++)
    body.push(...block(r, String(k), { fault: fault && k === count - 1 }));
  const data: string[] = [];
  for (let i = 0; i < BUFFER; i += 8) data.push(`0x${r.next64().toString(16)}`);
  return [
    "\t.text",
    "\t.globl _start",
    "_start:",
    ...body,
    "\tmov x0, #0",
    "\tmov x8, #93",
    "\tsvc #0",
    "\t.data",
    "\t.balign 16",
    "save:\t.skip 256",
    `buf:\t.quad ${data.join(", ")}`,
    "",
  ].join("\n");
}
