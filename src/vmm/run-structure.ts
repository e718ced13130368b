// The VMM's half of the shared vCPU run structure (Linux v17 `struct gunyah_vcpu_run`,
// gunyah-abi.md section 4): read the exit the host wrote, write the reply (MMIO read
// data, resume_action), set immediate_exit. Everything read here was written by a
// lower layer we do not trust blindly: lengths and reasons are checked before use.
// TODO(host): take the layout constants from src/host's public entry once published.

import { bytes, layout, s32, u16, u32, u64, u8 } from "../lib/layout.js";

export const RUN_STRUCTURE_MIN_SIZE = 40;
const UNION = 16;
const Header = layout({ immediate_exit: u8, _pad0: bytes(7), exit_reason: u32, _pad1: bytes(4) });
const Mmio = layout({ phys_addr: u64, data: bytes(8), len: u32, is_write: u8, resume_action: u8 });
const Status = layout({
  status: u32,
  exit_type: u16,
  _pad: bytes(2),
  reason_size: u32,
  reason: bytes(8),
});
const PageFault = layout({ phys_addr: u64, attempt: s32, resume_action: u8 });

export const ExitReasonCode = { UNKNOWN: 0, MMIO: 1, STATUS: 2, PAGE_FAULT: 3 } as const;
export const VmStatusCode = { LOAD_FAILED: 1, EXITED: 2, CRASHED: 3 } as const;
export const Resume = { HANDLED: 0, FAULT: 1, RETRY: 2 } as const;

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
  | { readonly kind: "unknown"; readonly code: number };

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
    Atomics.store(this.bytes, Header.offsets.immediate_exit, 1);
  }

  clearImmediateExit(): void {
    Atomics.store(this.bytes, Header.offsets.immediate_exit, 0);
  }

  exit(): RunExit {
    const code = this.view.getUint32(Header.offsets.exit_reason, true);
    switch (code) {
      case ExitReasonCode.MMIO: {
        const m = Mmio.decode(this.bytes, UNION);
        if (!m) return { kind: "unknown", code };
        let value = 0n;
        for (let i = Math.min(m.len, 8) - 1; i >= 0; i--)
          value = (value << 8n) | BigInt(m.data[i] ?? 0);
        // An address beyond 2^53 cannot be a device of ours; keep it unmatchable.
        const address = m.phys_addr > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(m.phys_addr);
        return { kind: "mmio", address, width: m.len, isWrite: m.is_write !== 0, value };
      }
      case ExitReasonCode.STATUS: {
        const s = Status.decode(this.bytes, UNION);
        if (!s) return { kind: "unknown", code };
        const reason = s.reason.subarray(0, Math.min(s.reason_size, 8));
        return { kind: "status", status: s.status, exitType: s.exit_type, reason };
      }
      case ExitReasonCode.PAGE_FAULT: {
        const p = PageFault.decode(this.bytes, UNION);
        if (!p) return { kind: "unknown", code };
        const address = p.phys_addr > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(p.phys_addr);
        return { kind: "page-fault", address, attempt: p.attempt };
      }
      default:
        return { kind: "unknown", code };
    }
  }

  /** Completes an MMIO read: the value goes in data (little endian), action HANDLED. */
  completeMmioRead(width: number, value: bigint): void {
    const at = UNION + Mmio.offsets.data;
    for (let i = 0; i < 8; i++)
      this.bytes[at + i] = i < width ? Number((value >> BigInt(8 * i)) & 0xffn) : 0;
    this.setMmioResume(Resume.HANDLED);
  }

  setMmioResume(action: number): void {
    this.bytes[UNION + Mmio.offsets.resume_action] = action;
  }

  setPageFaultResume(action: number): void {
    this.bytes[UNION + PageFault.offsets.resume_action] = action;
  }
}
