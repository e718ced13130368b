// The device status state machine (virtio 1.2 section 3.1.1 and 2.1), as data: which
// status values the driver may write from which stage. Checked in one place
// (`nextStatus`), tested exhaustively.

import { Status } from "./constants.js";

/** Where the driver is in initialization (3.1.1, steps 1-8). */
export type Stage = "reset" | "acknowledged" | "driver" | "features-ok" | "driver-ok";

/** The status bits each stage has set (FAILED and NEEDS_RESET come on top). */
export const STAGE_BITS: { readonly [S in Stage]: number } = {
  reset: 0,
  acknowledged: Status.ACKNOWLEDGE,
  driver: Status.ACKNOWLEDGE | Status.DRIVER,
  "features-ok": Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK,
  "driver-ok": Status.ACKNOWLEDGE | Status.DRIVER | Status.FEATURES_OK | Status.DRIVER_OK,
};

/**
 * Stages a driver may move to by a status write. The driver sets one bit at a time in
 * the order of 3.1.1 (it may rewrite the current value); going back is only by reset
 * (writing 0, allowed from anywhere and handled before this table).
 */
export const STAGE_TRANSITIONS: { readonly [S in Stage]: readonly Stage[] } = {
  reset: ["reset", "acknowledged"],
  acknowledged: ["acknowledged", "driver"],
  driver: ["driver", "features-ok"],
  "features-ok": ["features-ok", "driver-ok"],
  "driver-ok": ["driver-ok"],
};

const STAGES = Object.keys(STAGE_BITS) as Stage[];

export interface DeviceStatus {
  readonly stage: Stage;
  /** The driver gave up (FAILED): nothing is processed until reset. */
  readonly failed: boolean;
  /** The device hit an unrecoverable error (DEVICE_NEEDS_RESET). */
  readonly needsReset: boolean;
}

export const RESET_STATUS: DeviceStatus = { stage: "reset", failed: false, needsReset: false };

export function statusValue(s: DeviceStatus): number {
  return (
    STAGE_BITS[s.stage] |
    (s.failed ? Status.FAILED : 0) |
    (s.needsReset ? Status.DEVICE_NEEDS_RESET : 0)
  );
}

export type StatusWrite =
  | { readonly kind: "reset" }
  | { readonly kind: "move"; readonly next: DeviceStatus }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * Decodes a driver's status write against the current status. Writing 0 resets
 * (4.2.3.1); otherwise the value must be a stage's bits, optionally with FAILED, and
 * may carry NEEDS_RESET only if the device has it set (a read-modify-write).
 */
export function nextStatus(current: DeviceStatus, value: number): StatusWrite {
  if (value === 0) return { kind: "reset" };
  const failed = (value & Status.FAILED) !== 0;
  const needsReset = (value & Status.DEVICE_NEEDS_RESET) !== 0;
  if (needsReset && !current.needsReset)
    return { kind: "refused", reason: "the driver may not set DEVICE_NEEDS_RESET" };
  const bits = value & ~(Status.FAILED | Status.DEVICE_NEEDS_RESET);
  const stage = STAGES.find((s) => STAGE_BITS[s] === bits);
  if (stage === undefined)
    return { kind: "refused", reason: `status 0x${value.toString(16)} is no stage of 3.1.1` };
  if (current.failed && !failed)
    return { kind: "refused", reason: "FAILED is cleared only by a reset" };
  if (!STAGE_TRANSITIONS[current.stage].includes(stage))
    return { kind: "refused", reason: `status ${current.stage} -> ${stage} is out of order` };
  return { kind: "move", next: { stage, failed, needsReset: current.needsReset } };
}
