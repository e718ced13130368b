// How a VM run ends, and how the machine failed to start: the two unions the CLI turns
// into exit codes and one-line messages (style rule 7: one union of start-up errors).

import { assertNever } from "../lib/assert.js";
import { ExitType } from "../host/index.js";
import { describeLoadError, type LoadError } from "./loader.js";

export type StartError =
  | { readonly kind: "bad-option"; readonly option: string; readonly message: string }
  | { readonly kind: "file"; readonly path: string; readonly message: string }
  | { readonly kind: "load"; readonly error: LoadError }
  | { readonly kind: "device"; readonly message: string }
  | { readonly kind: "host"; readonly step: string; readonly message: string };

export function describeStartError(e: StartError): string {
  switch (e.kind) {
    case "bad-option":
      return `${e.option}: ${e.message}`;
    case "file":
      return `${e.path}: ${e.message}`;
    case "load":
      return describeLoadError(e.error);
    case "device":
      return `device setup failed: ${e.message}`;
    case "host":
      return `the host refused to ${e.step}: ${e.message}`;
    default:
      return assertNever(e);
  }
}

/** RM exit types of the VM_EXITED notification (gunyah-abi.md section 3). */
export { ExitType } from "../host/index.js";

const EXIT_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "the guest asked to exit (VM_EXIT)",
  1: "PSCI SYSTEM_OFF",
  2: "PSCI SYSTEM_RESET",
  3: "PSCI SYSTEM_RESET2",
  4: "watchdog bite",
  5: "hypervisor error",
  6: "asynchronous external abort",
  7: "forced stop",
};

export type RunOutcome =
  | { readonly kind: "powered-off" }
  | { readonly kind: "reset"; readonly exitType: number }
  | { readonly kind: "exited"; readonly exitType: number; readonly reason: Uint8Array }
  | {
      readonly kind: "crashed";
      readonly status: number;
      readonly exitType: number;
      readonly reason: Uint8Array;
      /** The host's fault reports for the crash, one line each. */
      readonly faults?: readonly string[];
    }
  | {
      readonly kind: "page-fault";
      readonly vcpu: number;
      readonly address: number;
      readonly attempt: number;
    }
  | { readonly kind: "timeout"; readonly seconds: number }
  | { readonly kind: "interrupted"; readonly reason: string }
  /** VM_START failed (the RM refused the configuration, VM_INIT failed...). */
  | { readonly kind: "start-failed"; readonly message: string }
  | { readonly kind: "host-error"; readonly vcpu: number; readonly message: string }
  | { readonly kind: "unknown-exit"; readonly vcpu: number; readonly code: number };

/** Process exit codes of `gunyah run` (documented in src/cli/README.md). */
export const ExitCode = {
  OK: 0,
  START_FAILED: 1,
  GUEST_FAILED: 2,
  GUEST_RESET: 3,
  TIMEOUT: 124,
  /** 128 + SIGINT, as a shell reports a command stopped by Ctrl-C. */
  INTERRUPTED: 130,
} as const;

export function outcomeExitCode(o: RunOutcome): number {
  switch (o.kind) {
    case "powered-off":
      return ExitCode.OK;
    case "reset":
      return ExitCode.GUEST_RESET;
    case "start-failed":
      return ExitCode.START_FAILED;
    case "timeout":
      return ExitCode.TIMEOUT;
    case "interrupted":
      return ExitCode.INTERRUPTED;
    case "exited":
    case "crashed":
    case "page-fault":
    case "host-error":
    case "unknown-exit":
      return ExitCode.GUEST_FAILED;
    default:
      return assertNever(o);
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

function reasonText(reason: Uint8Array): string {
  return reason.length === 0
    ? ""
    : ` (reason ${[...reason].map((b) => b.toString(16).padStart(2, "0")).join("")})`;
}

export function exitTypeName(type: number): string {
  return EXIT_TYPE_NAMES[type] ?? `exit type ${type}`;
}

/** STATUS LOAD_FAILED or CRASHED; the exit type only means something if the RM set one. */
function describeCrash(o: Extract<RunOutcome, { kind: "crashed" }>): string {
  if (o.status === 1) return `the VM failed to load${reasonText(o.reason)}`;
  const why = o.exitType !== ExitType.VM_EXIT ? ` (${exitTypeName(o.exitType)})` : "";
  const faults = o.faults?.length ? `: ${o.faults.join("; ")}` : "";
  return `guest crashed: the hypervisor stopped a vCPU on a fault it could not handle${why}${reasonText(o.reason)}${faults}`;
}

export function describeOutcome(o: RunOutcome): string {
  switch (o.kind) {
    case "powered-off":
      return "guest powered off";
    case "reset":
      return `guest reset (${exitTypeName(o.exitType)}); gunyah run does not reboot guests`;
    case "exited":
      return `guest stopped: ${exitTypeName(o.exitType)}${reasonText(o.reason)}`;
    case "crashed":
      return describeCrash(o);
    case "page-fault":
      return `guest faulted: vCPU ${o.vcpu} accessed ${hex(o.address)}, which is neither RAM nor a device (errno ${o.attempt})`;
    case "timeout":
      return `guest did not stop within ${o.seconds} s (--timeout); stopped it`;
    case "interrupted":
      return `guest stopped: ${o.reason}`;
    case "start-failed":
      return `the host could not start the VM: ${o.message}`;
    case "host-error":
      return `vCPU ${o.vcpu}: host error: ${o.message}`;
    case "unknown-exit":
      return `vCPU ${o.vcpu}: unknown exit reason ${o.code} from the host`;
    default:
      return assertNever(o);
  }
}
