// Control transfer out of the middle of an instruction. When an access faults or an
// instruction raises an exception, the CPU first records the architectural effect
// (exception entry at EL1, or a pending exit for the runner) and then throws this
// sentinel; the interpreter loop catches it and continues with the next instruction
// (or returns the exit). Nothing else is ever thrown for guest behaviour.

export const INSTRUCTION_ABORTED: { readonly aborted: true } = Object.freeze({ aborted: true });

export function abortInstruction(): never {
  throw INSTRUCTION_ABORTED;
}

/** Exception classes (ESR_ELx.EC, Arm ARM D17.2.37). */
export const EC = {
  UNKNOWN: 0x00,
  WFX: 0x01,
  FP_ACCESS: 0x07,
  ILLEGAL_STATE: 0x0e,
  SVC64: 0x15,
  HVC64: 0x16,
  SMC64: 0x17,
  SYS64: 0x18,
  IABT_LOWER: 0x20,
  IABT_CURRENT: 0x21,
  PC_ALIGN: 0x22,
  DABT_LOWER: 0x24,
  DABT_CURRENT: 0x25,
  SP_ALIGN: 0x26,
  BRK64: 0x3c,
} as const;

/** Fault status codes (DFSC/IFSC). Level-dependent ones take `+ level`. */
export const FSC = {
  ADDRESS_SIZE: 0x00,
  TRANSLATION: 0x04,
  ACCESS_FLAG: 0x08,
  PERMISSION: 0x0c,
  SYNC_EXTERNAL: 0x10,
  SYNC_EXTERNAL_WALK: 0x14,
  ALIGNMENT: 0x21,
} as const;

/** Exception vector offsets from VBAR_EL1 (Arm ARM D1.10.2). */
export const VECTOR = { SYNC: 0x000, IRQ: 0x080, FIQ: 0x100, SERROR: 0x180 } as const;

/** ESR_EL1 for an exception class and syndrome; IL = 1 (32-bit A64 instructions). */
export function esrOf(ec: number, iss: number): number {
  return ((ec << 26) | (1 << 25) | iss) >>> 0;
}
