// The gunyah-ts debug extension's hypercalls (abi/debug.ts): an external debugger's
// breakpoints, watchpoints and step on a vCPU, and its registers and memory. Every
// argument is untrusted: unknown ops and registers, sizes out of range, addresses that
// are not 64-bit canonical numbers, and too many breakpoints all get an error.

import { Call } from "../abi/calls.js";
import {
  DebugMemStatus,
  DebugOp,
  MAX_BREAKPOINTS,
  MAX_WATCHPOINTS,
  MAX_WATCH_LENGTH,
  WatchKind,
} from "../abi/debug.js";
import { HypError } from "../abi/errors.js";
import { Rights } from "../abi/objects.js";
import type { CallerContext } from "../context.js";
import type { Vcpu } from "../vcpu.js";
import type { Arm64Cpu } from "../cpu.js";
import { done, fail, lookup, type HandlerOut, type HandlerTable } from "./types.js";

interface WatchEntry {
  address: number;
  length: number;
  read: boolean;
  write: boolean;
}

interface DebugConfig {
  breakpoints: Set<number>;
  watchpoints: WatchEntry[];
  step: boolean;
}

const configs = new WeakMap<Vcpu, DebugConfig>();

/** A guest VA argument as the CPU's signed-number form, or undefined if not exact. */
function address(v: bigint): number | undefined {
  const s = BigInt.asIntN(64, v);
  return s >= BigInt(Number.MIN_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(s)
    : undefined;
}

/** The stopped vCPU's CPU with debug support, or the error to return. */
function debugCpu(c: CallerContext, cap: bigint, rights: number): Arm64Cpu | number {
  const v = lookup<Vcpu>(c, cap, "thread", rights);
  if (!v.ok) return v.error;
  if (v.value.running) return HypError.BUSY;
  const cpu = v.value.cpu;
  if (!cpu?.debugAccess || !cpu.setExternalDebug) return HypError.UNIMPLEMENTED;
  return cpu;
}

function configure(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const v = lookup<Vcpu>(c, a[0]!, "thread", Rights.thread.STATE);
  if (!v.ok) return fail(v.error);
  const cpu = debugCpu(c, a[0]!, Rights.thread.STATE);
  if (typeof cpu === "number") return fail(cpu);
  let cfg = configs.get(v.value);
  if (!cfg) {
    cfg = { breakpoints: new Set(), watchpoints: [], step: false };
    configs.set(v.value, cfg);
  }
  const r = applyOp(cfg, a);
  if (r !== HypError.OK) return fail(r);
  cpu.setExternalDebug!({
    breakpoints: [...cfg.breakpoints],
    watchpoints: cfg.watchpoints,
    step: cfg.step,
  });
  return fail(HypError.OK);
}

function applyOp(cfg: DebugConfig, a: readonly bigint[]): number {
  const op = a[1]!;
  const addr = address(a[2]!);
  switch (op) {
    case BigInt(DebugOp.CLEAR):
      cfg.breakpoints.clear();
      cfg.watchpoints = [];
      cfg.step = false;
      return HypError.OK;
    case BigInt(DebugOp.BREAKPOINT_ADD):
      if (addr === undefined || (addr & 3) !== 0) return HypError.ARGUMENT_INVALID;
      if (cfg.breakpoints.size >= MAX_BREAKPOINTS && !cfg.breakpoints.has(addr))
        return HypError.NORESOURCES;
      cfg.breakpoints.add(addr);
      return HypError.OK;
    case BigInt(DebugOp.BREAKPOINT_REMOVE):
      if (addr === undefined || !cfg.breakpoints.delete(addr)) return HypError.ARGUMENT_INVALID;
      return HypError.OK;
    case BigInt(DebugOp.WATCHPOINT_ADD):
    case BigInt(DebugOp.WATCHPOINT_REMOVE): {
      const length = a[3]!;
      const kind = a[4]!;
      if (addr === undefined || length < 1n || length > BigInt(MAX_WATCH_LENGTH))
        return HypError.ARGUMENT_INVALID;
      if (kind < 1n || kind > 3n) return HypError.ARGUMENT_INVALID;
      const w = {
        address: addr,
        length: Number(length),
        read: (kind & BigInt(WatchKind.READ)) !== 0n,
        write: (kind & BigInt(WatchKind.WRITE)) !== 0n,
      };
      const at = cfg.watchpoints.findIndex(
        (x) =>
          x.address === w.address &&
          x.length === w.length &&
          x.read === w.read &&
          x.write === w.write,
      );
      if (op === BigInt(DebugOp.WATCHPOINT_REMOVE)) {
        if (at < 0) return HypError.ARGUMENT_INVALID;
        cfg.watchpoints.splice(at, 1);
        return HypError.OK;
      }
      if (at >= 0) return HypError.OK;
      if (cfg.watchpoints.length >= MAX_WATCHPOINTS) return HypError.NORESOURCES;
      cfg.watchpoints.push(w);
      return HypError.OK;
    }
    case BigInt(DebugOp.STEP):
      if (a[2]! > 1n) return HypError.ARGUMENT_INVALID;
      cfg.step = a[2]! === 1n;
      return HypError.OK;
    default:
      return HypError.ARGUMENT_INVALID;
  }
}

const MASK64 = (1n << 64n) - 1n;

function regRead(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const cpu = debugCpu(c, a[0]!, Rights.thread.STATE);
  if (typeof cpu === "number") return fail(cpu);
  if (a[1]! > 255n) return fail(HypError.ARGUMENT_INVALID);
  const value = cpu.debugAccess!.readRegister(Number(a[1]!));
  if (value === undefined) return fail(HypError.ARGUMENT_INVALID);
  return done(HypError.OK, value & MASK64, value >> 64n);
}

function regWrite(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const cpu = debugCpu(c, a[0]!, Rights.thread.WRITE_CONTEXT);
  if (typeof cpu === "number") return fail(cpu);
  if (a[1]! > 255n) return fail(HypError.ARGUMENT_INVALID);
  const value = (a[3]! << 64n) | a[2]!;
  return fail(
    cpu.debugAccess!.writeRegister(Number(a[1]!), value) ? HypError.OK : HypError.ARGUMENT_INVALID,
  );
}

function memRead(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const cpu = debugCpu(c, a[0]!, Rights.thread.STATE);
  if (typeof cpu === "number") return fail(cpu);
  const va = address(a[1]!);
  const size = a[2]!;
  if (va === undefined || size < 1n || size > 16n) return fail(HypError.ARGUMENT_INVALID);
  const r = cpu.debugAccess!.read(va, Number(size));
  if (r.stop?.kind === "stage2")
    return done(HypError.OK, BigInt(DebugMemStatus.NOT_PRESENT), BigInt(r.stop.ipa));
  if (r.stop) return fail(HypError.ADDR_INVALID);
  let lo = 0n;
  let hi = 0n;
  for (let i = r.data.length - 1; i >= 0; i--) {
    if (i >= 8) hi = (hi << 8n) | BigInt(r.data[i]!);
    else lo = (lo << 8n) | BigInt(r.data[i]!);
  }
  return done(HypError.OK, BigInt(DebugMemStatus.OK), lo, hi);
}

function memWrite(c: CallerContext, a: readonly bigint[]): HandlerOut {
  const cpu = debugCpu(c, a[0]!, Rights.thread.WRITE_CONTEXT);
  if (typeof cpu === "number") return fail(cpu);
  const va = address(a[1]!);
  const size = a[2]!;
  if (va === undefined || size < 1n || size > 8n) return fail(HypError.ARGUMENT_INVALID);
  const n = Number(size);
  if (n < 8 && a[3]! >> BigInt(8 * n) !== 0n) return fail(HypError.ARGUMENT_INVALID);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Number((a[3]! >> BigInt(8 * i)) & 0xffn);
  // Translate the whole range first, so that nothing is written when a part is missing.
  const probe = cpu.debugAccess!.read(va, n);
  if (probe.stop?.kind === "stage2")
    return done(HypError.OK, BigInt(DebugMemStatus.NOT_PRESENT), BigInt(probe.stop.ipa));
  if (probe.stop) return fail(HypError.ADDR_INVALID);
  const w = cpu.debugAccess!.write(va, bytes);
  if (w.stop?.kind === "stage2")
    return done(HypError.OK, BigInt(DebugMemStatus.NOT_PRESENT), BigInt(w.stop.ipa));
  if (w.stop) return fail(HypError.ADDR_INVALID);
  return done(HypError.OK, BigInt(DebugMemStatus.OK));
}

export const debugHandlers: HandlerTable = {
  [Call.VCPU_DEBUG_CONFIGURE]: { fn: (_k, c, a) => configure(c, a) },
  [Call.VCPU_DEBUG_REG_READ]: { res0: [2], fn: (_k, c, a) => regRead(c, a) },
  [Call.VCPU_DEBUG_REG_WRITE]: { res0: [4], fn: (_k, c, a) => regWrite(c, a) },
  [Call.VCPU_DEBUG_MEM_READ]: { res0: [3], fn: (_k, c, a) => memRead(c, a) },
  [Call.VCPU_DEBUG_MEM_WRITE]: { res0: [4], fn: (_k, c, a) => memWrite(c, a) },
};
