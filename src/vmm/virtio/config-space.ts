// Reads of the device-specific configuration space (virtio 1.2 section 4.2.2, offset
// 0x100 and up): each field at its own width, or a 64-bit field as two aligned 32-bit
// halves (4.2.2.2: the driver reads 64-bit fields with two 32-bit accesses).

import { err, ok, type Result } from "../../lib/result.js";
import type { ConfigField } from "./backend.js";

export function readConfig(
  fields: readonly ConfigField[],
  offset: number,
  width: number,
): Result<bigint, string> {
  const f = fields.find((x) => offset >= x.offset && offset < x.offset + x.width);
  if (f === undefined) return err(`no configuration field at 0x${offset.toString(16)}`);
  const whole = width === f.width && offset === f.offset;
  const half = f.width === 8 && width === 4 && (offset - f.offset) % 4 === 0;
  if (!whole && !half)
    return err(`${width}-byte access to the ${f.width}-byte field at 0x${f.offset.toString(16)}`);
  const shift = BigInt(8 * (offset - f.offset));
  return ok((f.value() >> shift) & ((1n << BigInt(8 * width)) - 1n));
}
