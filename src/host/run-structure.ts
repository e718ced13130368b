// The vCPU run structure shared with the VMM (v17 `struct gunyah_vcpu_run`, one page),
// in its exact byte layout (gunyah-abi.md section 4), declared once here. The VMM may
// write anything into it at any time, so the host reads only the fields the protocol
// gives to the VMM (immediate_exit, data of an MMIO read, resume_action) and keeps its
// own copy of everything else.

import { bytes, layout, s32, u16, u32, u64, u8 } from "../lib/layout.js";
import { assertNever } from "../lib/assert.js";

export const RUN_STRUCTURE_SIZE = 4096;

/** Offset 0..15: immediate_exit, padding, exit_reason, padding. */
export const RunHeader = layout({
  immediate_exit: u8,
  padding0: bytes(7),
  exit_reason: u32,
  padding1: bytes(4),
});

/** The union member for MMIO exits, at offset 16. */
export const RunMmio = layout({
  phys_addr: u64,
  data: bytes(8),
  len: u32,
  is_write: u8,
  resume_action: u8,
});

/** The union member for STATUS exits, at offset 16 (exit_info at 20). */
export const RunStatus = layout({
  status: u32,
  exit_type: u16,
  padding: bytes(2),
  reason_size: u32,
  reason: bytes(8),
});

/** The union member for PAGE_FAULT exits, at offset 16. */
export const RunPageFault = layout({
  phys_addr: u64,
  attempt: s32,
  resume_action: u8,
});

/**
 * gunyah-ts debug extension: the union member for DEBUG exits, at offset 16. reason 1
 * breakpoint, 2 watchpoint, 3 single step; address = a watchpoint's data address.
 */
export const RunDebug = layout({
  reason: u32,
  is_write: u32,
  pc: u64,
  address: u64,
});

export const RUN_UNION_OFFSET = RunHeader.size;

/** exit_reason values. */
export const ExitReason = {
  UNKNOWN: 0,
  MMIO: 1,
  STATUS: 2,
  PAGE_FAULT: 3,
  /** gunyah-ts debug extension (functions/vcpu-debug.ts), far from v17's values. */
  DEBUG: 0x100,
} as const;
export const DebugExitReason = { BREAKPOINT: 1, WATCHPOINT: 2, STEP: 3 } as const;
/** status.status values (gunyah_vm_status). */
export const VmExitStatus = { LOAD_FAILED: 1, EXITED: 2, CRASHED: 3 } as const;
/** mmio.resume_action / page_fault.resume_action values. */
export const ResumeAction = { HANDLED: 0, FAULT: 1, RETRY: 2 } as const;

/** The decoded exit, for VMMs that prefer a discriminated union to raw bytes. */
export type VcpuExit =
  | { readonly reason: "unknown" }
  | {
      readonly reason: "mmio";
      readonly physAddr: bigint;
      readonly len: number;
      readonly isWrite: boolean;
      /** For writes: the value written (little-endian, `len` bytes). */
      readonly data: bigint;
    }
  | {
      readonly reason: "status";
      /** 1 LOAD_FAILED, 2 EXITED, 3 CRASHED. */
      readonly status: number;
      /** The RM's exit type (VM_EXITED notification), passed through raw. */
      readonly exitType: number;
      readonly reasonSize: number;
      /** The first (at most 8) bytes of the RM's exit reason, raw. */
      readonly exitReason: Uint8Array;
    }
  | {
      readonly reason: "page-fault";
      readonly physAddr: bigint;
      /** The negative errno of the failed demand-paging attempt. */
      readonly attempt: number;
    }
  | {
      readonly reason: "debug";
      readonly stop: "breakpoint" | "watchpoint" | "step";
      readonly pc: bigint;
      /** A watchpoint's data address (0 otherwise). */
      readonly address: bigint;
      readonly isWrite: boolean;
    };

/** A view over the shared page with typed accessors; the host's half of the protocol. */
export class RunStructure {
  readonly buffer: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(RUN_STRUCTURE_SIZE)) {
    if (buffer.byteLength < RUN_STRUCTURE_SIZE) throw new RangeError("run structure too small");
    this.buffer = buffer;
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  /** immediate_exit, read atomically: another agent (a worker) may set it. */
  get immediateExit(): boolean {
    return Atomics.load(this.bytes, RunHeader.offsets.immediate_exit) !== 0;
  }

  set immediateExit(value: boolean) {
    Atomics.store(this.bytes, RunHeader.offsets.immediate_exit, value ? 1 : 0);
  }

  get exitReason(): number {
    return this.view.getUint32(RunHeader.offsets.exit_reason, true);
  }

  private setExitReason(reason: number): void {
    this.view.setUint32(RunHeader.offsets.exit_reason, reason, true);
  }

  private clearUnion(): void {
    this.bytes.fill(
      0,
      RUN_UNION_OFFSET,
      RUN_UNION_OFFSET + Math.max(RunStatus.size, RunDebug.size),
    );
  }

  writeMmio(physAddr: bigint, len: number, isWrite: boolean, data: bigint): void {
    this.clearUnion();
    // Only the `len` bytes of a write carry data; a read's data is the VMM's to fill.
    const value = new Uint8Array(8);
    if (isWrite) for (let i = 0; i < len; i++) value[i] = Number((data >> BigInt(8 * i)) & 0xffn);
    RunMmio.encodeInto(
      {
        phys_addr: physAddr,
        data: value,
        len,
        is_write: isWrite ? 1 : 0,
        resume_action: ResumeAction.HANDLED,
      },
      this.view,
      RUN_UNION_OFFSET,
    );
    this.setExitReason(ExitReason.MMIO);
  }

  /** A STATUS exit; `reason` is truncated to 8 bytes, `reasonSize` is the RM's raw size. */
  writeStatus(status: number, exitType: number, reason: Uint8Array, reasonSize: number): void {
    this.clearUnion();
    RunStatus.encodeInto(
      {
        status,
        exit_type: exitType,
        padding: new Uint8Array(2),
        reason_size: reasonSize,
        reason: reason.subarray(0, 8),
      },
      this.view,
      RUN_UNION_OFFSET,
    );
    this.setExitReason(ExitReason.STATUS);
  }

  writePageFault(physAddr: bigint, attempt: number): void {
    this.clearUnion();
    RunPageFault.encodeInto(
      { phys_addr: physAddr, attempt, resume_action: ResumeAction.FAULT },
      this.view,
      RUN_UNION_OFFSET,
    );
    this.setExitReason(ExitReason.PAGE_FAULT);
  }

  writeDebug(reason: number, pc: bigint, address: bigint, isWrite: boolean): void {
    this.clearUnion();
    RunDebug.encodeInto(
      { reason, is_write: isWrite ? 1 : 0, pc, address },
      this.view,
      RUN_UNION_OFFSET,
    );
    this.setExitReason(ExitReason.DEBUG);
  }

  /** mmio.resume_action as the VMM left it. */
  get mmioResumeAction(): number {
    return this.view.getUint8(RUN_UNION_OFFSET + RunMmio.offsets.resume_action);
  }

  /** page_fault.resume_action as the VMM left it. */
  get pageFaultResumeAction(): number {
    return this.view.getUint8(RUN_UNION_OFFSET + RunPageFault.offsets.resume_action);
  }

  /** The first `len` bytes of mmio.data as a little-endian value (the VMM's read reply). */
  mmioData(len: number): bigint {
    const at = RUN_UNION_OFFSET + RunMmio.offsets.data;
    let value = 0n;
    for (let i = Math.min(len, 8) - 1; i >= 0; i--) {
      value = (value << 8n) | BigInt(this.bytes[at + i] ?? 0);
    }
    return value;
  }

  /** Decodes the current exit (the `vcpu.exit` convenience view). */
  decode(): VcpuExit {
    const reason = this.exitReason;
    switch (reason) {
      case ExitReason.MMIO: {
        const m = RunMmio.decode(this.bytes, RUN_UNION_OFFSET);
        if (!m) return { reason: "unknown" };
        const len = Math.min(m.len, 8);
        return {
          reason: "mmio",
          physAddr: m.phys_addr,
          len: m.len,
          isWrite: m.is_write !== 0,
          data: this.mmioData(len),
        };
      }
      case ExitReason.STATUS: {
        const s = RunStatus.decode(this.bytes, RUN_UNION_OFFSET);
        if (!s) return { reason: "unknown" };
        return {
          reason: "status",
          status: s.status,
          exitType: s.exit_type,
          reasonSize: s.reason_size,
          exitReason: s.reason.subarray(0, Math.min(s.reason_size, 8)),
        };
      }
      case ExitReason.PAGE_FAULT: {
        const p = RunPageFault.decode(this.bytes, RUN_UNION_OFFSET);
        if (!p) return { reason: "unknown" };
        return { reason: "page-fault", physAddr: p.phys_addr, attempt: p.attempt };
      }
      case ExitReason.DEBUG: {
        const d = RunDebug.decode(this.bytes, RUN_UNION_OFFSET);
        const stop = d ? (["breakpoint", "watchpoint", "step"] as const)[d.reason - 1] : undefined;
        if (!d || !stop) return { reason: "unknown" };
        return { reason: "debug", stop, pc: d.pc, address: d.address, isWrite: d.is_write !== 0 };
      }
      default:
        return { reason: "unknown" };
    }
  }
}

/** Name of an exit reason, for logs. */
export function exitReasonName(exit: VcpuExit): string {
  switch (exit.reason) {
    case "unknown":
    case "mmio":
    case "status":
    case "page-fault":
    case "debug":
      return exit.reason;
    default:
      return assertNever(exit);
  }
}
