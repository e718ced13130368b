// Compiles a region of one guest page into a WebAssembly function: the instructions
// from an entry offset up to the first one the JIT does not handle (or the page end),
// split into basic blocks; direct branches inside the region stay inside the function
// (a loop over a br_table of block labels), everything else leaves it with the next
// PC. Guest registers live in i64 locals between the prologue (load) and the single
// epilogue (write back what was written). Every block first checks the budget, so a
// unit never runs past the slice and the instruction count stays exact.

import { Gen, Exit, P, PARAMS, CB_FLAGS, CB_KIND, CB_PC, CB_XH } from "./gen.js";
import { buildModule, Bytes, F64, I32, W, type FunctionCode } from "./wasm-emit.js";
import { aluSupported, emitAlu } from "./emit-alu.js";
import { emitMem, memSupported } from "./emit-mem.js";
import { dpSupported, emitDp } from "./emit-dp.js";
import { emitRev, revSupported } from "./emit-rev.js";
import { emitCallout } from "./emit-callout.js";
import { emitSimd } from "./emit-simd.js";
import { emitSys, sysSupported } from "./emit-sys.js";
import { atomicSupported, emitAtomic } from "./emit-atomic.js";

/** The helper's signature: (insn, op, pc) -> 0, or 1 after an exception. */
const HELPER_TYPE = { params: [I32, I32, F64], result: I32 };

/** Most instructions in one unit (keeps modules small and the br_table short). */
export const MAX_UNIT = 256;

export interface Region {
  /** First and one-past-last word index in the page. */
  readonly start: number;
  readonly end: number;
  /** Block leaders (word indexes), ascending; blocks[0] = start. */
  readonly leaders: readonly number[];
  /** Whether the word at `end` must be interpreted (unsupported), else just continue. */
  readonly endsUnsupported: boolean;
}

export type Decode = (word: number) => number;

function isBranch(op: number): boolean {
  return op >= 22 && op <= 31;
}

/** A direct branch's target word index relative to the page (may be outside it). */
function branchTarget(op: number, insn: number, w: number): number | undefined {
  switch (op) {
    case 22:
    case 23:
      return w + ((insn << 6) >> 6);
    case 24:
    case 25:
    case 26:
      return w + ((insn << 8) >> 13);
    case 27:
    case 28:
      return w + ((insn << 13) >> 18);
    default:
      return undefined;
  }
}

/**
 * Ops run by calling the interpreter's executor from the unit (jit/tier.ts helper):
 * data processing, integer and SIMD&FP memory, SIMD. Not system instructions, which
 * may change the EL, the translation regime or the interrupt masks.
 */
export function calledOut(op: number): boolean {
  return op >= 64 && op !== 0 && (op < 128 || op >= 192);
}

export function supported(op: number, insn: number): boolean {
  if (isBranch(op)) return true;
  if (op === 128) {
    const hint = (insn >>> 5) & 0x7f;
    return hint !== 2 && hint !== 3;
  }
  if (op === 130) return ((insn >>> 5) & 7) !== 7;
  return (
    aluSupported(op, insn) ||
    memSupported(op, insn) ||
    calledOut(op) ||
    sysSupported(op, insn) ||
    atomicSupported(op, insn)
  );
}

/** Scans the region starting at word `start` of a page whose words are `words`. */
export function scanRegion(words: Int32Array, ops: Uint16Array, start: number): Region {
  // Straight on until an instruction units cannot run; past an unconditional B, BR or
  // RET only while an earlier forward branch lands further on (a loop or an if/else
  // of the same function), so a unit is roughly a function's hot part, not the page.
  let end = start;
  let reach = start;
  let endsUnsupported = false;
  while (end < 1024 && end - start < MAX_UNIT) {
    const op = ops[end]!;
    if (!supported(op, words[end]!)) {
      endsUnsupported = true;
      break;
    }
    const t = branchTarget(op, words[end]!, end);
    if (t !== undefined && t > end && t < 1024) reach = Math.max(reach, t);
    end++;
    if ((op === 22 || op === 29 || op === 31) && reach < end) break;
  }
  const isLeader = new Uint8Array(1025);
  isLeader[start] = 1;
  for (let w = start; w < end; w++) {
    const op = ops[w]!;
    if (!isBranch(op)) continue;
    isLeader[w + 1] = 1;
    const t = branchTarget(op, words[w]!, w);
    if (t !== undefined && t >= start && t < end) isLeader[t] = 1;
  }
  const leaders: number[] = [];
  for (let w = start; w < end; w++) if (isLeader[w]) leaders.push(w);
  return { start, end, leaders, endsUnsupported };
}

interface Ctx {
  readonly g: Gen;
  readonly region: Region;
  readonly out: number;
  readonly top: number;
  readonly blockOf: Map<number, number>;
}

/** Leaves the unit: PC = vaBase + byte offset `off`, with `kind`. */
function exitAt(c: Ctx, off: number, kind: number): void {
  const g = c.g;
  g.get(g.va);
  g.i64n(off);
  g.op(W.i64Add);
  g.set(g.pc);
  g.i32(kind);
  g.set(g.kind);
  g.br(c.out);
}

/** Goes to word `t`: a block of this unit, or out. */
function goTo(c: Ctx, t: number): void {
  const k = t >= c.region.start && t < c.region.end ? c.blockOf.get(t) : undefined;
  if (k === undefined) {
    exitAt(c, t * 4, Exit.CONTINUE);
    return;
  }
  c.g.i32(k);
  c.g.set(c.g.next);
  c.g.br(c.top);
}

function emitBranch(c: Ctx, op: number, insn: number, w: number): void {
  const g = c.g;
  const rt = insn & 31;
  switch (op) {
    case 22:
      goTo(c, branchTarget(op, insn, w)!);
      return;
    case 23:
      g.get(g.va);
      g.i64n(w * 4 + 4);
      g.op(W.i64Add);
      g.setX(30);
      goTo(c, branchTarget(op, insn, w)!);
      return;
    case 24:
      g.cond(insn & 15);
      break;
    case 25:
    case 26:
      if (insn < 0) {
        g.x(rt);
        g.op(W.i64Eqz);
      } else {
        g.w(rt);
        g.op(W.i32Eqz);
      }
      if (op === 26) g.op(W.i32Eqz);
      break;
    case 27:
    case 28: {
      const bit = ((insn >>> 26) & 32) | ((insn >>> 19) & 31);
      g.x(rt);
      g.i64(bit, 0);
      g.op(W.i64ShrU, W.i32WrapI64);
      g.i32(1);
      g.op(W.i32And);
      if (op === 27) g.op(W.i32Eqz);
      break;
    }
    default: {
      // BR, BLR, RET: the target is read before BLR writes X30.
      g.x((insn >>> 5) & 31);
      g.set(g.pc);
      if (op === 30) {
        g.get(g.va);
        g.i64n(w * 4 + 4);
        g.op(W.i64Add);
        g.setX(30);
      }
      g.i32(Exit.CONTINUE);
      g.set(g.kind);
      g.br(c.out);
      return;
    }
  }
  g.if_();
  goTo(c, branchTarget(op, insn, w)!);
  g.end();
  // Not taken: fall through to the next block (a leader), or leave at w + 1.
  if (w + 1 >= c.region.end)
    exitAt(c, (w + 1) * 4, c.region.endsUnsupported ? Exit.INTERPRET : Exit.CONTINUE);
}

/**
 * Self-modifying, reloaded or DMA-written code: the first time an entry of the unit
 * reaches block `index`, its words are compared with memory (a bit of `g.seen` per
 * block, the 64 first; later blocks compare every time), so an entry pays for the
 * blocks it runs, not for the whole region. A block whose words changed leaves
 * before it with STALE (the tier drops the page's units).
 */
function emitCodeCheck(
  c: Ctx,
  words: Int32Array,
  first: number,
  last: number,
  index: number,
): void {
  const g = c.g;
  const guarded = index < 64;
  if (guarded) {
    g.get(g.seen);
    g.i64(index < 32 ? 1 << index : 0, index < 32 ? 0 : 1 << (index - 32));
    g.op(W.i64And, W.i64Eqz);
    g.if_();
  }
  for (let w = first; w < last; w++) {
    g.get(P.FETCH);
    g.mem(W.i32Load, 2, w * 4);
    g.i32(words[w]!);
    g.op(W.i32Ne);
    if (w > first) g.op(W.i32Or);
  }
  g.if_();
  g.get(g.n);
  g.i32(last - first);
  g.op(W.i32Sub);
  g.set(g.n);
  exitAt(c, first * 4, Exit.STALE);
  g.end();
  if (guarded) {
    g.get(g.seen);
    g.i64(index < 32 ? 1 << index : 0, index < 32 ? 0 : 1 << (index - 32));
    g.op(W.i64Or);
    g.set(g.seen);
    g.end();
  }
}

function emitBlock(
  c: Ctx,
  words: Int32Array,
  ops: Uint16Array,
  first: number,
  last: number,
  index: number,
): void {
  const g = c.g;
  const len = last - first;
  // Budget: leave before the block if it does not fit (the interpreter runs the rest).
  g.get(g.n);
  g.i32(len);
  g.op(W.i32Add);
  g.tee(g.n);
  g.get(P.BUDGET);
  g.op(W.i32GtS);
  g.if_();
  g.get(g.n);
  g.i32(len);
  g.op(W.i32Sub);
  g.set(g.n);
  exitAt(c, first * 4, Exit.CONTINUE);
  g.end();
  emitCodeCheck(c, words, first, last, index);
  for (let w = first; w < last; w++) {
    const op = ops[w]!;
    const insn = words[w]!;
    const j = w;
    const bail = (): void => {
      g.get(g.n);
      g.i32(last - j);
      g.op(W.i32Sub);
      g.set(g.n);
      exitAt(c, j * 4, Exit.INTERPRET);
    };
    if (isBranch(op)) emitBranch(c, op, insn, w);
    else if (op === 128 || op === 130) continue;
    else if (sysSupported(op, insn))
      emitSys(g, op, insn, j * 4, {
        bail,
        rest: last - j - 1,
        sync: () => {
          g.get(g.n);
          g.i32(last - j - 1);
          g.op(W.i32Sub);
          g.set(g.n);
          exitAt(c, (j + 1) * 4, Exit.SYNC);
        },
      });
    else if (memSupported(op, insn)) emitMem(g, op, insn, bail);
    else if (atomicSupported(op, insn)) emitAtomic(g, op, insn, bail);
    else if (aluSupported(op, insn)) emitAlu(g, op, insn, w * 4);
    else if (dpSupported(op, insn)) emitDp(g, op, insn);
    else if (revSupported(op)) emitRev(g, op, insn);
    else {
      const callout = (): void =>
        emitCallout(g, op, insn, j, {
          exception: () => {
            g.get(g.n);
            g.i32(last - j - 1);
            g.op(W.i32Sub);
            g.set(g.n);
            g.i32(Exit.EXCEPTION);
            g.set(g.kind);
            g.br(c.out);
          },
          decline: bail,
        });
      if (!emitSimd(g, op, insn, bail, callout)) callout();
    }
  }
}

/**
 * The unit's function (for compileBatch). The prologue loads, and the epilogue stores,
 * only the registers the generated code uses. A call-out stores and reloads the
 * registers the unit caches, and the executor may write one its fields do not name
 * (CASP's Rs+1) that code further on reads: so a unit with call-outs is generated
 * twice, the second time caching from the start every register the first one used.
 */
export function compileRegion(words: Int32Array, ops: Uint16Array, region: Region): FunctionCode {
  const first = generate(words, ops, region, []);
  if (!first.g.callsOut) return first.code;
  return generate(words, ops, region, first.g.usedRegs()).code;
}

function generate(
  words: Int32Array,
  ops: Uint16Array,
  region: Region,
  cached: readonly number[],
): { g: Gen; code: FunctionCode } {
  const g = new Gen();
  const { end, leaders } = region;
  const blockOf = new Map<number, number>();
  leaders.forEach((w, i) => blockOf.set(w, i));
  for (const s of cached) g.reg(s);
  // The body is emitted first (it decides which registers are used); the register
  // prologue is spliced in at its start and the epilogue appended.
  const prologueAt = g.b.length;
  const out = g.block();
  const top = g.loop();
  const labels: number[] = [];
  for (let i = leaders.length - 1; i >= 0; i--) labels[i] = g.block();
  g.get(g.next);
  g.brTable(labels, labels[0]!);
  const c: Ctx = { g, region, out, top, blockOf };
  for (let i = 0; i < leaders.length; i++) {
    g.end(); // closes block i: its code follows
    const first = leaders[i]!;
    const last = i + 1 < leaders.length ? leaders[i + 1]! : end;
    emitBlock(c, words, ops, first, last, i);
  }
  // Fell off the region's end.
  const lastOp = ops[end - 1]!;
  if (!(lastOp === 22 || lastOp === 23 || (lastOp >= 29 && lastOp <= 31)))
    exitAt(c, end * 4, region.endsUnsupported ? Exit.INTERPRET : Exit.CONTINUE);
  g.end(); // loop
  g.end(); // out
  const body = g.b.result();
  return { g, code: assemble(g, body, prologueAt) };
}

/** Splices the register prologue in after the code check and appends the epilogue. */
function assemble(g: Gen, body: Uint8Array, prologueAt: number): FunctionCode {
  const regs = g.usedRegs();
  const pro = new Gen();
  const emitPro = (): void => {
    for (const s of regs) {
      pro.get(P.CB);
      pro.mem(W.i64Load32U, 2, s * 4);
      pro.get(P.CB);
      pro.mem(W.i64Load32U, 2, CB_XH + s * 4);
      pro.i64(32, 0);
      pro.op(W.i64Shl, W.i64Or);
      pro.set(g.reg(s));
    }
    const flags = [g.nf, g.zf, g.cf, g.vf];
    flags.forEach((l, i) => {
      pro.get(P.CB);
      pro.mem(W.i32Load, 2, CB_FLAGS + i * 4);
      pro.set(l);
    });
    pro.get(P.VABASE);
    pro.op(W.i64TruncF64S);
    pro.set(g.va);
    pro.get(P.ENTRY);
    pro.set(g.next);
  };
  emitPro();
  const epi = new Gen();
  // After an exception in a called-out instruction the CPU block is already current.
  epi.get(g.kind);
  epi.i32(Exit.EXCEPTION);
  epi.op(W.i32Ne);
  epi.if_();
  for (const s of regs) {
    if (!g.written[s]) continue;
    epi.get(P.CB);
    epi.get(g.reg(s));
    epi.mem(W.i64Store32, 2, s * 4);
    epi.get(P.CB);
    epi.get(g.reg(s));
    epi.i64(32, 0);
    epi.op(W.i64ShrU);
    epi.mem(W.i64Store32, 2, CB_XH + s * 4);
  }
  if (g.flagsWritten) {
    [g.nf, g.zf, g.cf, g.vf].forEach((l, i) => {
      epi.get(P.CB);
      epi.get(l);
      epi.mem(W.i32Store, 2, CB_FLAGS + i * 4);
    });
  }
  epi.get(P.CB);
  epi.get(g.pc);
  epi.op(W.f64ConvertI64S);
  epi.mem(W.f64Store, 3, CB_PC);
  epi.end();
  epi.get(P.CB);
  epi.get(g.kind);
  epi.mem(W.i32Store, 2, CB_KIND);
  epi.get(g.n);
  const code = new Bytes();
  code.raw(body.subarray(0, prologueAt));
  code.bytes(pro.b);
  code.raw(body.subarray(prologueAt));
  code.bytes(epi.b);
  return { locals: g.localTypes, body: code };
}

/** One module holding the functions of several units (V8's cost is per module). */
export function compileBatch(funcs: readonly FunctionCode[]): Uint8Array {
  return buildModule([...PARAMS], I32, funcs, HELPER_TYPE);
}
