// Virtual PSCI 1.1 (Arm DEN0022) for guest vCPUs, over HVC/SMC with the SMC32
// (0x8400_00xx) and SMC64 (0xC400_00xx) function IDs. Return codes as in the
// specification (gunyah-abi.md section 2). Power state changes are applied to the
// calling vCPU and its siblings (the vCPUs of its vPM group, or of its vic).

import { mpidrToIndex, type MpidrMapping } from "./mpidr.js";
import { VIC_MAX_VCPUS } from "./vic.js";

export const PsciReturn = {
  SUCCESS: 0,
  NOT_SUPPORTED: -1,
  INVALID_PARAMETERS: -2,
  DENIED: -3,
  ALREADY_ON: -4,
  ON_PENDING: -5,
  INTERNAL_FAILURE: -6,
  NOT_PRESENT: -7,
  DISABLED: -8,
  INVALID_ADDRESS: -9,
} as const;

export const PsciFn = {
  VERSION: 0x0,
  CPU_SUSPEND: 0x1,
  CPU_OFF: 0x2,
  CPU_ON: 0x3,
  AFFINITY_INFO: 0x4,
  MIGRATE: 0x5,
  MIGRATE_INFO_TYPE: 0x6,
  MIGRATE_INFO_UP_CPU: 0x7,
  SYSTEM_OFF: 0x8,
  SYSTEM_RESET: 0x9,
  PSCI_FEATURES: 0xa,
  SYSTEM_RESET2: 0x12,
} as const;

export const PSCI_VERSION_1_1 = 0x1_0001n;
const SMC32_BASE = 0x8400_0000;
const SMC64_BASE = 0xc400_0000;
/** Functions that exist in an SMC64 form (they take addresses or MPIDRs). */
const HAS_SMC64 = new Set<number>([
  PsciFn.CPU_SUSPEND,
  PsciFn.CPU_ON,
  PsciFn.AFFINITY_INFO,
  PsciFn.MIGRATE,
  PsciFn.MIGRATE_INFO_UP_CPU,
  PsciFn.SYSTEM_RESET2,
]);
const SUPPORTED = new Set<number>([
  PsciFn.VERSION,
  PsciFn.CPU_SUSPEND,
  PsciFn.CPU_OFF,
  PsciFn.CPU_ON,
  PsciFn.AFFINITY_INFO,
  PsciFn.MIGRATE_INFO_TYPE,
  PsciFn.SYSTEM_OFF,
  PsciFn.SYSTEM_RESET,
  PsciFn.PSCI_FEATURES,
  PsciFn.SYSTEM_RESET2,
]);
const SMCCC_VERSION_FID = 0x8000_0000;
/** MIGRATE_INFO_TYPE: 2 = no Trusted OS that needs migration. */
const MIGRATE_NOT_REQUIRED = 2n;
/** AFFINITY_INFO states. */
const AffinityState = { ON: 0n, OFF: 1n, ON_PENDING: 2n } as const;
/** MPIDR affinity fields (Aff3 39:32, Aff2 23:16, Aff1 15:8, Aff0 7:0). */
const MPIDR_AFF_MASK = 0xff_00ff_ffffn;

/** A vCPU as PSCI sees it. */
export interface PsciVcpu {
  readonly mpidr: bigint;
  /** Its vic's index <-> MPIDR mapping; undefined for a vCPU without a vic. */
  readonly mpidrMapping: MpidrMapping | undefined;
  readonly poweredOn: boolean;
  siblings(): readonly PsciVcpu[];
  /** CPU_ON of a sibling: reset at `entry` with X0 = `context`, then make it runnable. */
  powerOnFromPsci(entry: bigint, context: bigint): void;
  /** The calling vCPU stops (CPU_OFF). */
  cpuOff(): void;
  /** CPU_SUSPEND treated as standby: the vCPU waits for an interrupt like WFI. */
  suspend(powerState: bigint): void;
  /** SYSTEM_OFF: every vCPU of the VM stops; the VM has exited. */
  systemOff(): void;
  /** SYSTEM_RESET (type 0) / SYSTEM_RESET2 (type 1, with reset type and cookie). */
  systemReset(kind: number, resetType: bigint, cookie: bigint, smc64?: boolean): void;
}

export interface PsciFunction {
  readonly fn: number;
  readonly smc64: boolean;
}

/** Decodes a PSCI function ID, or undefined if it is not one we know. */
export function decodePsci(functionId: number): PsciFunction | undefined {
  const fid = functionId >>> 0;
  const base = (fid & 0xffff_ff00) >>> 0;
  const smc64 = base === SMC64_BASE;
  if (!smc64 && base !== SMC32_BASE) return undefined;
  const fn = fid & 0xff;
  if (fn > 0x1f) return undefined;
  if (smc64 && !HAS_SMC64.has(fn)) return undefined;
  return { fn, smc64 };
}

function ret(code: number): bigint[] {
  return [BigInt.asUintN(64, BigInt(code))];
}

/** Handles one PSCI call by `vcpu`; returns X0..X3. */
export function handlePsci(vcpu: PsciVcpu, functionId: number, args: readonly bigint[]): bigint[] {
  const f = decodePsci(functionId);
  if (!f || !SUPPORTED.has(f.fn)) return ret(PsciReturn.NOT_SUPPORTED);
  // SMC32 forms take 32-bit arguments: the upper halves are ignored.
  const arg = (i: number): bigint => {
    const v = args[i] ?? 0n;
    return f.smc64 ? v : v & 0xffff_ffffn;
  };
  switch (f.fn) {
    case PsciFn.VERSION:
      return [PSCI_VERSION_1_1];
    case PsciFn.CPU_SUSPEND:
      vcpu.suspend(arg(0));
      return ret(PsciReturn.SUCCESS);
    case PsciFn.CPU_OFF:
      vcpu.cpuOff();
      return ret(PsciReturn.SUCCESS);
    case PsciFn.CPU_ON:
      return cpuOn(vcpu, arg(0), arg(1), arg(2));
    case PsciFn.AFFINITY_INFO:
      return affinityInfo(vcpu, arg(0), arg(1));
    case PsciFn.MIGRATE_INFO_TYPE:
      return [MIGRATE_NOT_REQUIRED];
    case PsciFn.SYSTEM_OFF:
      vcpu.systemOff();
      return ret(PsciReturn.SUCCESS);
    case PsciFn.SYSTEM_RESET:
      vcpu.systemReset(0, 0n, 0n);
      return ret(PsciReturn.SUCCESS);
    case PsciFn.SYSTEM_RESET2: {
      const type = arg(0) & 0xffff_ffffn;
      // Architectural reset types: only 0 (SYSTEM_WARM_RESET); vendor types (bit 31) none.
      if (type !== 0n) return ret(PsciReturn.INVALID_PARAMETERS);
      vcpu.systemReset(1, type, arg(1), f.smc64);
      return ret(PsciReturn.SUCCESS);
    }
    case PsciFn.PSCI_FEATURES:
      return features(Number(arg(0) & 0xffff_ffffn));
    default:
      return ret(PsciReturn.NOT_SUPPORTED);
  }
}

function findSibling(vcpu: PsciVcpu, mpidr: bigint): PsciVcpu | undefined {
  const want = mpidr & MPIDR_AFF_MASK;
  return vcpu.siblings().find((s) => (s.mpidr & MPIDR_AFF_MASK) === want);
}

function cpuOn(vcpu: PsciVcpu, target: bigint, entry: bigint, context: bigint): bigint[] {
  if ((target & ~MPIDR_AFF_MASK) !== 0n) return ret(PsciReturn.INVALID_PARAMETERS);
  const t = findSibling(vcpu, target);
  if (!t) return ret(missingCpu(vcpu, target));
  if (t.poweredOn) return ret(PsciReturn.ALREADY_ON);
  // The entry point must be a plausible AArch64 instruction address.
  if ((entry & 3n) !== 0n) return ret(PsciReturn.INVALID_ADDRESS);
  t.powerOnFromPsci(entry, context);
  return ret(PsciReturn.SUCCESS);
}

/**
 * CPU_ON of an MPIDR no sibling has (psci_common.c psci_cpu_on): INVALID_PARAMETERS
 * without a vic or when the MPIDR is not one the vic's mapping can produce (or names
 * an index past PLATFORM_MAX_CORES, compared with `>` as there), else
 * INTERNAL_FAILURE: a well-formed CPU that is not there.
 */
function missingCpu(vcpu: PsciVcpu, target: bigint): number {
  const m = vcpu.mpidrMapping;
  const index = m ? mpidrToIndex(m, target) : undefined;
  if (index === undefined || index > VIC_MAX_VCPUS) return PsciReturn.INVALID_PARAMETERS;
  return PsciReturn.INTERNAL_FAILURE;
}

function affinityInfo(vcpu: PsciVcpu, target: bigint, level: bigint): bigint[] {
  if (level !== 0n) return ret(PsciReturn.INVALID_PARAMETERS);
  const t = findSibling(vcpu, target);
  if (!t) return ret(PsciReturn.INVALID_PARAMETERS);
  return [t.poweredOn ? AffinityState.ON : AffinityState.OFF];
}

function features(fid: number): bigint[] {
  if (fid === SMCCC_VERSION_FID) return ret(PsciReturn.SUCCESS);
  const f = decodePsci(fid);
  if (!f || !SUPPORTED.has(f.fn)) return ret(PsciReturn.NOT_SUPPORTED);
  // CPU_SUSPEND: bit 1 clear = original power_state format, bit 0 clear = platform
  // coordinated; every other supported function reports 0.
  return ret(PsciReturn.SUCCESS);
}
