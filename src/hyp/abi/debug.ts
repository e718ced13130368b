// gunyah-ts debug extension of the hypercall ABI (not part of Gunyah, whose host cannot
// read a vCPU's registers). A debugger needs what KVM gives through KVM_GET_ONE_REG,
// KVM_SET_GUEST_DEBUG and the KVM_EXIT_DEBUG exit (crosvm's GDB stub uses exactly
// those): these calls give the same to the host VM, through the vCPU's thread cap.
//
//   vcpu_debug_configure (0x3f00): X1 vcpu, X2 op, X3..X5 op arguments -> X0 error
//     CLEAR: everything off; BREAKPOINT_ADD/REMOVE X3 = address; WATCHPOINT_ADD/REMOVE
//     X3 = address, X4 = length (1..2^31), X5 = kind bits (1 read, 2 write);
//     STEP X3 = 0 or 1. Needs the thread's STATE right. At most MAX_BREAKPOINTS and
//     MAX_WATCHPOINTS (NORESOURCES beyond); only while the vCPU is not running (BUSY).
//   vcpu_debug_reg_read (0x3f01): X1 vcpu, X2 register -> X0 error, X1 bits 63:0,
//     X2 bits 127:64 (V registers). Registers are GDB's AArch64 numbers (DebugRegister).
//   vcpu_debug_reg_write (0x3f02): X1 vcpu, X2 register, X3 bits 63:0, X4 bits 127:64.
//   vcpu_debug_mem_read (0x3f03): X1 vcpu, X2 guest VA, X3 size 1..16 -> X0 error,
//     X1 status, X2 bytes 0..7, X3 bytes 8..15 (little endian).
//   vcpu_debug_mem_write (0x3f04): X1 vcpu, X2 guest VA, X3 size 1..8, X4 value
//     -> X0 error, X1 status.
//   Memory goes through the vCPU's current stage-1 translation without touching its TLB.
//   ADDR_INVALID: no translation. Status NOT_PRESENT (X2 = the IPA, nothing copied):
//   the IPA is not backed at stage 2 yet; the host may demand-page it and retry.
//
// A stopped vCPU's vcpu_run returns DEBUG_STOP (VcpuRunState) with the reason.

export const DebugOp = {
  CLEAR: 0,
  BREAKPOINT_ADD: 1,
  BREAKPOINT_REMOVE: 2,
  WATCHPOINT_ADD: 3,
  WATCHPOINT_REMOVE: 4,
  STEP: 5,
} as const;

export const WatchKind = { READ: 1, WRITE: 2 } as const;

export const MAX_BREAKPOINTS = 256;
export const MAX_WATCHPOINTS = 32;
/** The largest watched range (the architecture's MASK limit, 2 GiB). */
export const MAX_WATCH_LENGTH = 2 ** 31;

export const DebugMemStatus = { OK: 0, NOT_PRESENT: 1 } as const;

/** VcpuRunState.DEBUG_STOP data0. */
export const DebugStopReason = { BREAKPOINT: 1, WATCHPOINT: 2, STEP: 3 } as const;

/** data0 bit 8 of a watchpoint stop: the access was a write. */
export const DEBUG_STOP_WRITE = 0x100n;

/** GDB's AArch64 register numbers (org.gnu.gdb.aarch64.core and .fpu). */
export const DebugRegister = {
  SP: 31,
  PC: 32,
  CPSR: 33,
  V0: 34,
  FPSR: 66,
  FPCR: 67,
  COUNT: 68,
} as const;
