// One row of the A64 decode table. The decoder (generated from all rows at start-up)
// matches an instruction word against `pattern` and yields `op`, which the
// interpreter's switch executes. Adding an instruction = one row + one semantic case.

export interface DecodeRow {
  /** Mnemonic and form, for traces and errors, e.g. "ADD (immediate)". */
  readonly name: string;
  /** 32 characters, bit 31 first, of '0', '1' and 'x' (don't care); spaces and '_' are ignored. */
  readonly pattern: string;
  /** Operation number; the SIMD group's ops start at SIMD_OP_BASE. */
  readonly op: number;
}
