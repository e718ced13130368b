// The VMM's half of the shared vCPU run structure (Linux v17 `struct gunyah_vcpu_run`,
// gunyah-abi.md section 4): read the exit the host wrote, write the reply (MMIO read
// data, resume_action), set immediate_exit. The byte layout is the host's, declared
// once in src/host; everything read here is still checked before use.

import {
  ExitReason,
  ResumeAction,
  RUN_UNION_OFFSET,
  RunHeader,
  RunMmio,
  RunPageFault,
  RunStatus,
  RunDebug,
} from "../host/index.js";

export { ResumeAction as Resume, VmExitStatus as VmStatusCode } from "../host/index.js";

export const RUN_STRUCTURE_MIN_SIZE = RUN_UNION_OFFSET + RunStatus.size;

export type RunExit =
  | {
      readonly kind: "mmio";
      readonly address: number;
      readonly width: number;
      readonly isWrite: boolean;
      readonly value: bigint;
    }
  | {
      readonly kind: "status";
      readonly status: number;
      readonly exitType: number;
      readonly reason: Uint8Array;
    }
  | { readonly kind: "page-fault"; readonly address: number; readonly attempt: number }
  | {
      readonly kind: "debug";
      readonly stop: "breakpoint" | "watchpoint" | "step";
      readonly pc: bigint;
      readonly address: bigint;
      readonly isWrite: boolean;
    }
  | { readonly kind: "unknown"; readonly code: number };

/** A guest-physical address as a number, or -1 (matches nothing) beyond 2^53. */
function safeAddress(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(value);
}

export class RunView {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength < RUN_STRUCTURE_MIN_SIZE) throw new RangeError("run structure too small");
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  /** Asks the host to return from `run()` at its next check (KVM's immediate_exit). */
  requestImmediateExit(): void {
    Atomics.store(this.bytes, RunHeader.offsets.immediate_exit, 1);
  }

  clearImmediateExit(): void {
    Atomics.store(this.bytes, RunHeader.offsets.immediate_exit, 0);
  }

  exit(): RunExit {
    const code = this.view.getUint32(RunHeader.offsets.exit_reason, true);
    switch (code) {
      case ExitReason.MMIO: {
        const m = RunMmio.decode(this.bytes, RUN_UNION_OFFSET);
        if (!m) return { kind: "unknown", code };
        let value = 0n;
        for (let i = Math.min(m.len, 8) - 1; i >= 0; i--)
          value = (value << 8n) | BigInt(m.data[i] ?? 0);
        const address = safeAddress(m.phys_addr);
        return { kind: "mmio", address, width: m.len, isWrite: m.is_write !== 0, value };
      }
      case ExitReason.STATUS: {
        const s = RunStatus.decode(this.bytes, RUN_UNION_OFFSET);
        if (!s) return { kind: "unknown", code };
        const reason = s.reason.subarray(0, Math.min(s.reason_size, 8));
        return { kind: "status", status: s.status, exitType: s.exit_type, reason };
      }
      case ExitReason.PAGE_FAULT: {
        const p = RunPageFault.decode(this.bytes, RUN_UNION_OFFSET);
        if (!p) return { kind: "unknown", code };
        return { kind: "page-fault", address: safeAddress(p.phys_addr), attempt: p.attempt };
      }
      case ExitReason.DEBUG: {
        const d = RunDebug.decode(this.bytes, RUN_UNION_OFFSET);
        const stop = d ? (["breakpoint", "watchpoint", "step"] as const)[d.reason - 1] : undefined;
        if (!d || !stop) return { kind: "unknown", code };
        return { kind: "debug", stop, pc: d.pc, address: d.address, isWrite: d.is_write !== 0 };
      }
      default:
        return { kind: "unknown", code };
    }
  }

  /** Completes an MMIO read: the value goes in data (little endian), action HANDLED. */
  completeMmioRead(width: number, value: bigint): void {
    const at = RUN_UNION_OFFSET + RunMmio.offsets.data;
    for (let i = 0; i < 8; i++)
      this.bytes[at + i] = i < width ? Number((value >> BigInt(8 * i)) & 0xffn) : 0;
    this.setMmioResume(ResumeAction.HANDLED);
  }

  setMmioResume(action: number): void {
    this.bytes[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] = action;
  }

  setPageFaultResume(action: number): void {
    this.bytes[RUN_UNION_OFFSET + RunPageFault.offsets.resume_action] = action;
  }
}
