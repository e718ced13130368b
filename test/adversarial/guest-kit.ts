// A tiny guest "kit": a prologue that installs an EL1 vector table whose synchronous
// handler reports ESR_EL1 to the VMM (a 64-bit store to UART + 8) and skips the
// faulting instruction, and probes whose results are reported as 64-bit stores to
// UART + 0. Everything the guest learns reaches the test as MMIO exits.

import { A64, mov64 } from "./a64.js";
import { GUEST_RAM, UART } from "./harness.js";

export const REPORT = UART; // probe results
export const FAULT_REPORT = UART + 8; // ESR_EL1 of a synchronous exception
export const DONE = UART + 0x10; // end marker

const VBAR_OFFSET = 0x800;
const SYNC_HANDLER = VBAR_OFFSET + 0x200; // current EL, SPx, synchronous
const ADD_X10_4 = 0x9100_114a;
const ERET = 0xd69f_03e0;
const ISB = 0xd503_3fdf;

/** The program: prologue, `body` (x1 holds UART; x0..x9 free), DONE store, spin. */
/**
 * `resume`: "skip" returns to the instruction after the faulting one; "lr" returns to
 * x30 (for a BLR into an address that cannot be fetched from).
 */
export function kitProgram(body: readonly number[], resume: "skip" | "lr" = "skip"): number[] {
  const words: number[] = [
    ...mov64(1, BigInt(UART)),
    ...mov64(12, BigInt(GUEST_RAM + VBAR_OFFSET)),
    A64.msr(0, 12, 0, 0, 12), // VBAR_EL1 = x12
    ISB,
    ...body,
    A64.strX(1, 1, 0x10), // DONE
    A64.spin(),
  ];
  if (words.length * 4 > VBAR_OFFSET) throw new Error("kit program too long");
  while (words.length * 4 < SYNC_HANDLER) words.push(A64.nop());
  words.push(
    A64.mrs(9, 0, 5, 2, 0), // x9 = ESR_EL1
    A64.strX(9, 1, 8), // report it
    ...(resume === "skip"
      ? [A64.mrs(10, 0, 4, 0, 1), ADD_X10_4] // x10 = ELR_EL1 + 4
      : [0xaa1e_03ea]), // mov x10, x30
    A64.msr(0, 4, 0, 1, 10), // ELR_EL1 = x10 + 4
    ERET,
  );
  return words;
}

/** x0..x7 = args, HVC #0, report x0. */
export function hvcProbe(args: readonly bigint[]): number[] {
  const out: number[] = [];
  args.forEach((a, i) => out.push(...mov64(i === 1 ? 11 : i, a)));
  // x1 holds UART: load arg 1 through x11 just before the call, restore after.
  if (args.length > 1) out.push(0xaa0b03e1); // mov x1, x11
  out.push(A64.hvc(0));
  // SMCCC result registers (x1..x3) may change: reload the report address.
  out.push(...mov64(1, BigInt(UART)));
  out.push(A64.strX(0, 1, 0));
  return out;
}
