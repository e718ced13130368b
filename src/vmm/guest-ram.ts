// The consumer side of guest memory (style rule 2, rust-vmm's vm-memory split): what a
// device model may do with guest-physical addresses a guest gave it (virtqueue rings,
// buffers). Every range is checked with checked arithmetic against the RAM window
// before it reaches the host; a page the host cannot reach (lent to the guest) comes
// back as an error the device must handle, never an exception.

import { err, ok, type Result } from "../lib/result.js";
import { rangeEnd } from "../lib/checked.js";
import type { GuestMemoryPort } from "./host-port.js";

export type GuestRamError =
  | { readonly kind: "out-of-range"; readonly gpa: number; readonly length: number }
  | { readonly kind: "inaccessible"; readonly gpa: number; readonly message: string };

export interface GuestRam {
  readonly base: number;
  readonly size: number;
  read(gpa: number, length: number): Result<Uint8Array, GuestRamError>;
  write(gpa: number, bytes: Uint8Array): Result<void, GuestRamError>;
}

/** Caps a single access so a hostile length cannot make the VMM allocate without bound. */
export const MAX_GUEST_ACCESS = 16 * 1024 * 1024;

export function guestRam(memory: GuestMemoryPort, base: number, size: number): GuestRam {
  const offsetOf = (gpa: number, length: number): Result<number, GuestRamError> => {
    const end = rangeEnd(gpa, length);
    if (
      !Number.isSafeInteger(gpa) ||
      length > MAX_GUEST_ACCESS ||
      end === undefined ||
      gpa < base ||
      end > base + size
    )
      return err({ kind: "out-of-range", gpa, length });
    return ok(gpa - base);
  };
  return {
    base,
    size,
    read(gpa, length) {
      if (length === 0) return ok(new Uint8Array(0));
      const at = offsetOf(gpa, length);
      if (!at.ok) return at;
      const r = memory.read(at.value, length);
      return r.ok ? r : err({ kind: "inaccessible", gpa, message: r.error.message });
    },
    write(gpa, bytes) {
      if (bytes.length === 0) return ok();
      const at = offsetOf(gpa, bytes.length);
      if (!at.ok) return at;
      const r = memory.write(at.value, bytes);
      return r.ok ? r : err({ kind: "inaccessible", gpa, message: r.error.message });
    },
  };
}
