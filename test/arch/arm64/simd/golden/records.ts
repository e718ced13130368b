// The QEMU golden records (golden.json.gz, written by record.ts) and the comparison of
// a state after one instruction with a record, shared by the executor-level test
// (golden.test.ts, a FakeContext) and the whole-CPU test under both tiers
// (golden-cpu.test.ts).

import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { InputState } from "./inputs.js";
import type { GoldenRecord } from "./record.js";

export type { GoldenRecord };

export const golden = JSON.parse(
  gunzipSync(readFileSync(new URL("./golden.json.gz", import.meta.url))).toString("utf8"),
) as GoldenRecord[];

export const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/** A state after the instruction: V0-V31 (512 bytes), X0-X30, FPSR, NZCV. */
export interface AfterState {
  readonly v: Uint8Array;
  readonly x: (r: number) => bigint;
  readonly fpsr: number;
  readonly nzcv: number;
}

/** What differs between `after` and the record (empty when all of it matches). */
export function differences(g: GoldenRecord, input: InputState, after: AfterState): string[] {
  const errors: string[] = [];
  for (let r = 0; r < 32; r++) {
    const want = g.out.v[r] ?? Buffer.from(input.v.subarray(16 * r, 16 * r + 16)).toString("hex");
    const got = Buffer.from(after.v.subarray(16 * r, 16 * r + 16)).toString("hex");
    if (got !== want) errors.push(`v${r}: got ${got} want ${want}`);
  }
  for (let r = 0; r < 31; r++) {
    const want = g.out.x[r] ?? (input.x[r] ?? 0n).toString(16);
    const got = after.x(r).toString(16);
    if (got !== want) errors.push(`x${r}: got ${got} want ${want}`);
  }
  if (after.fpsr !== g.out.fpsr)
    errors.push(`fpsr: got ${hex(after.fpsr)} want ${hex(g.out.fpsr)}`);
  if (after.nzcv !== g.out.nzcv)
    errors.push(`nzcv: got ${hex(after.nzcv)} want ${hex(g.out.nzcv)}`);
  if (errors.length > 0) {
    const inRegs = [0, 1, 2, 3].map((r) =>
      Buffer.from(input.v.subarray(16 * r, 16 * r + 16)).toString("hex"),
    );
    errors.unshift(`fpcr=${hex(input.fpcr)} v0-3 in: ${inRegs.join(" ")}`);
  }
  return errors;
}

/** Fails with every instruction (first error list of each) whose `check` found errors. */
export function report(
  records: readonly GoldenRecord[],
  check: (g: GoldenRecord) => string[],
): string | undefined {
  const failures = new Map<string, string[]>();
  for (const g of records) {
    const errors = check(g);
    const name = g.asm ?? `insn ${hex(g.insn)}`;
    if (errors.length > 0 && !failures.has(name)) failures.set(name, errors);
  }
  if (failures.size === 0) return undefined;
  const lines = [...failures].map(([asm, e]) => `${asm}\n    ${e.join("\n    ")}`).join("\n");
  return `${failures.size} differ from QEMU:\n${lines}`;
}
