// What an emulated MMIO device is to the VMM (style rule 6, rust-vmm's vm-device):
// the bus owns the address map and checks every access before dispatch, so a device
// only ever sees an offset inside its own window with a width it declared it accepts.

import type { Result } from "../lib/result.js";

/** Access widths a single-register AArch64 load or store can produce. */
export type AccessWidth = 1 | 2 | 4 | 8;

export const ACCESS_WIDTHS: readonly AccessWidth[] = [1, 2, 4, 8];

export function isAccessWidth(n: number): n is AccessWidth {
  return n === 1 || n === 2 || n === 4 || n === 8;
}

/** Why a device refused an access that was inside its window. */
export interface DeviceFault {
  readonly reason: string;
}

export interface MmioDevice {
  /** Short name for diagnostics ("pl011", "virtio-mmio@0a000000"). */
  readonly name: string;
  /** Size of the register window in bytes. */
  readonly size: number;
  /** Widths the device accepts; others are refused by the bus before dispatch. */
  readonly widths: readonly AccessWidth[];
  /** Reads `width` bytes at `offset` (offset + width <= size is guaranteed). */
  read(offset: number, width: AccessWidth): Result<bigint, DeviceFault>;
  /** Writes the low `width` bytes of `value` at `offset`. */
  write(offset: number, width: AccessWidth, value: bigint): Result<void, DeviceFault>;
  /** The register at `offset` by its specification name, for traces ("UARTDR", "QueueNotify"). */
  registerName?(offset: number): string | undefined;
}

/** An interrupt output of a device: a level the VMM forwards to the guest's GIC. */
export interface InterruptLine {
  set(level: boolean): void;
}
