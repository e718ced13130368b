// The registers vcpu_register_write sets while a vCPU is off (its boot context): kept
// here and applied again after the power-on reset, which would otherwise wipe them.

import { HypError } from "./abi/errors.js";
import { VcpuRegisterSet } from "./abi/objects.js";
import type { Arm64Cpu } from "./cpu.js";

type Reg = { readonly kind: "x"; readonly index: number } | { readonly kind: "pc" | "sp" };

export class BootContext {
  private readonly regs = new Map<string, { reg: Reg; value: bigint }>();

  /** Decodes (set, index) and records the value; ARGUMENT_INVALID for unknown registers. */
  set(set: bigint, index: bigint, value: bigint, cpu: Arm64Cpu | undefined): number {
    let reg: Reg;
    if (set === BigInt(VcpuRegisterSet.X) && index <= 30n)
      reg = { kind: "x", index: Number(index) };
    else if (set === BigInt(VcpuRegisterSet.PC) && index === 0n) reg = { kind: "pc" };
    else if (set === BigInt(VcpuRegisterSet.SP_EL1) && index === 0n) reg = { kind: "sp" };
    else return HypError.ARGUMENT_INVALID;
    if (reg.kind === "pc" && value > BigInt(Number.MAX_SAFE_INTEGER))
      return HypError.ARGUMENT_INVALID;
    this.regs.set(reg.kind === "x" ? `x${reg.index}` : reg.kind, { reg, value });
    if (cpu) apply(cpu, reg, value);
    return HypError.OK;
  }

  /** Writes every recorded register into `cpu` and forgets them. */
  applyTo(cpu: Arm64Cpu): void {
    for (const { reg, value } of this.regs.values()) apply(cpu, reg, value);
    this.regs.clear();
  }
}

function apply(cpu: Arm64Cpu, reg: Reg, value: bigint): void {
  switch (reg.kind) {
    case "pc":
      cpu.pc = Number(value);
      return;
    case "sp":
      cpu.setSp(value);
      return;
    case "x":
      cpu.setX(reg.index, value);
      return;
  }
}
