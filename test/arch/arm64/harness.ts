// Test bench for the A64 CPU: a flat RAM behind a Stage2Port, an assembler bridge
// (aarch64-linux-gnu-as, assembled at test time) and helpers to run until an exit.
// The QEMU differential tests can reuse it: createCpu + flatMemory is all they need.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createCpu,
  type Arm64CpuExt,
  type CpuOptions,
  type Stage2Page,
  type Stage2Port,
  WasmArena,
} from "../../../src/arch/arm64/index.js";

export const RAM_BASE = 0x4000_0000;

export interface FlatMemory extends Stage2Port {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly base: number;
  /** Pages (IPA >> 12) to report as unmapped. */
  readonly holes: Set<number>;
  /** Pages that are read-only at stage 2. */
  readonly readOnly: Set<number>;
}

export function flatMemory(base = RAM_BASE, size = 1 << 22): FlatMemory {
  // In a wasm arena, as the hypervisor's RAM is, so the JIT tier can run the code.
  const arena = WasmArena.forRam(size);
  const bytes = arena.bytes(size);
  const holes = new Set<number>();
  const readOnly = new Set<number>();
  const firstPage = base / 4096;
  const pages = size / 4096;
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, size),
    base,
    holes,
    readOnly,
    arena,
    lookup(ipaPage: number): Stage2Page | undefined {
      const i = ipaPage - firstPage;
      if (i < 0 || i >= pages || holes.has(ipaPage)) return undefined;
      const ro = readOnly.has(ipaPage);
      return { bytes, offset: i * 4096, read: true, write: !ro, exec: true };
    },
  };
}

let toolChecked: boolean | undefined;

/** True if the cross assembler is installed; tests skip with a message otherwise. */
export function haveAssembler(): boolean {
  if (toolChecked === undefined) {
    try {
      execFileSync("aarch64-linux-gnu-as", ["--version"], { stdio: "ignore" });
      toolChecked = true;
    } catch {
      toolChecked = false;
    }
  }
  return toolChecked;
}

export const SKIP_NO_AS =
  "aarch64-linux-gnu-as is not installed (apt-get install binutils-aarch64-linux-gnu)";

const cache = new Map<string, Uint8Array>();

/** Assembles A64 source (at address 0, position-independent) into raw bytes. */
export function assemble(source: string): Uint8Array {
  const hit = cache.get(source);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), "a64-"));
  try {
    writeFileSync(join(dir, "t.s"), `.text\n.globl _start\n_start:\n${source}\n`);
    execFileSync("aarch64-linux-gnu-as", [
      "-march=armv8.1-a+crc",
      "-o",
      join(dir, "t.o"),
      join(dir, "t.s"),
    ]);
    execFileSync("aarch64-linux-gnu-objcopy", [
      "-O",
      "binary",
      "-j",
      ".text",
      join(dir, "t.o"),
      join(dir, "t.bin"),
    ]);
    const out = new Uint8Array(readFileSync(join(dir, "t.bin")));
    cache.set(source, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Encodings of single instructions, assembled in one batch. */
export function encode(...lines: string[]): number[] {
  const bin = assemble(lines.join("\n"));
  const dv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  return lines.map((_, i) => dv.getUint32(i * 4, true));
}

export interface Machine {
  cpu: Arm64CpuExt;
  mem: FlatMemory;
}

/** A system-mode CPU at EL1 with `code` loaded at the RAM base. */
/** What a vector entry records by default: ESR/FAR/ELR/SPSR_EL1 in X20-X23. */
export const RECORD_EXCEPTION =
  "mrs x20, esr_el1\n mrs x21, far_el1\n mrs x22, elr_el1\n mrs x23, spsr_el1";

/**
 * An EL1 program with VBAR_EL1 at a table of 16 vectors, entry n being `vector(n)` (by
 * default RECORD_EXCEPTION, then HVC #0x100+n); then `main`, the end marker HVC #0x77,
 * and `after` (code `main` may branch to).
 */
export function withVectors(
  main: string,
  options: { readonly vector?: (n: number) => string; readonly after?: string } = {},
): Uint8Array {
  const vector = options.vector ?? ((n) => `${RECORD_EXCEPTION}\n hvc #${0x100 + n}`);
  const entries = Array.from({ length: 16 }, (_, n) => `.balign 128\n ${vector(n)}`).join("\n");
  return assemble(`
  b main
  .balign 2048
vectors:
${entries}
main:
  adr x0, vectors
  msr vbar_el1, x0
  isb
${main}
  hvc #0x77
${options.after ?? ""}
  .ltorg
`);
}

export function machine(code: Uint8Array, options: Partial<CpuOptions> = {}): Machine {
  const mem = flatMemory();
  mem.bytes.set(code, 0);
  const cpu = createCpu({ mode: "system", memory: mem, ...options });
  cpu.reset(RAM_BASE);
  return { cpu, mem };
}

/** Runs `source` at EL1 until it executes HVC (the end marker); returns the CPU. */
export function runAsm(
  source: string,
  options: Partial<CpuOptions> = {},
  budget = 100000,
): Machine {
  const m = machine(assemble(`${source}\nhvc #0x77\n.ltorg`), options);
  const exit = m.cpu.run(budget);
  if (exit.kind !== "hvc" || exit.imm !== 0x77) {
    throw new Error(
      `expected the final hvc, got ${JSON.stringify(exit, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v))} at pc ${m.cpu.pc.toString(16)}`,
    );
  }
  return m;
}

export function x(m: Machine, n: number): bigint {
  return m.cpu.getX(n);
}
