// MMIO exits the VMM emulates, in a trace (category "exit"): a slice on the vCPU's
// track (pid = VMID, tid = vCPU index) named "mmio <device>.<register>", with the
// access and, for a read, the value the guest got. Device and register names come
// from the bus (PL011 registers as the TRM names them, virtio-mmio's as the spec).

import { hex, TraceCat, type Tracer } from "../lib/trace.js";
import type { MmioBus } from "./bus.js";
import type { RunExit } from "./run-structure.js";

export interface MmioTrace {
  readonly tracer: Tracer;
  /** The VM's VMID (read when the first exit is traced: it is known after start). */
  readonly vmid: () => number;
}

export function traceMmio(
  trace: MmioTrace,
  vcpu: number,
  bus: MmioBus,
  exit: Extract<RunExit, { kind: "mmio" }>,
  readValue: bigint | undefined,
  start: number,
): void {
  const where = bus.describe(exit.address);
  const device = where?.device ?? "unmapped";
  const register = where?.register ?? hex(exit.address);
  const value = exit.isWrite ? exit.value : readValue;
  trace.tracer.complete(TraceCat.EXIT, `mmio ${device}.${register}`, trace.vmid(), vcpu, start, {
    device,
    register,
    access: exit.isWrite ? "write" : "read",
    address: hex(exit.address),
    width: exit.width,
    ...(value === undefined ? { refused: !exit.isWrite } : { value: hex(value) }),
  });
}
