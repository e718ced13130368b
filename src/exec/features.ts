// AT_HWCAP and AT_HWCAP2 derived from the CPU's own ID registers, so that what the
// auxiliary vector advertises always agrees with what MRS reports (Linux builds both
// from the same sanitised ID registers: arch/arm64/kernel/cpufeature.c, arm64_elf_hwcaps).
// The registers are read by running MRS instructions on a scratch CPU at EL0, as a
// program would (Linux emulates those EL0 reads, HWCAP_CPUID).

import { PAGE_SIZE } from "../arch/arm64/index.js";
import type { Arm64Cpu, CpuOptions } from "../arch/arm64/index.js";
import { AddressSpace, PROT_EXEC, PROT_READ } from "./memory.js";

export type CpuFactory = (options: CpuOptions) => Arm64Cpu;

export const HWCAP_FP = 1n << 0n;
export const HWCAP_ASIMD = 1n << 1n;
export const HWCAP_CPUID = 1n << 11n;

/** MRS X<rt>, <op0=3, op1=0, CRn=0, CRm, op2> (an ID_AA64* register). */
function mrsId(rt: number, crm: number, op2: number): number {
  return (0xd5380000 | (crm << 8) | (op2 << 5) | rt) >>> 0;
}

const SVC_0 = 0xd4000001;

export interface IdRegisters {
  readonly isar0: bigint;
  readonly isar1: bigint;
  readonly pfr0: bigint;
}

/** Reads ID_AA64ISAR0/ISAR1/PFR0_EL1 at EL0, or undefined if MRS is refused there. */
export function readIdRegisters(createCpu: CpuFactory): IdRegisters | undefined {
  const mem = new AddressSpace({ maxResidentPages: 4 });
  const codePage = 0x1000;
  mem.mapAnonymous(codePage, 1, PROT_READ | PROT_EXEC);
  const code = new Uint8Array(16);
  const view = new DataView(code.buffer);
  [mrsId(0, 6, 0), mrsId(1, 6, 1), mrsId(2, 4, 0), SVC_0].forEach((w, i) =>
    view.setUint32(i * 4, w, true),
  );
  mem.poke(codePage * PAGE_SIZE, code);
  const cpu = createCpu({ mode: "user", memory: mem });
  cpu.reset(codePage * PAGE_SIZE);
  const exit = cpu.run(16);
  if (exit.kind !== "svc") return undefined;
  return { isar0: cpu.getX(0), isar1: cpu.getX(1), pfr0: cpu.getX(2) };
}

function field(reg: bigint, lsb: number): number {
  return Number((reg >> BigInt(lsb)) & 0xfn);
}

/** Signed 4-bit ID field (FP and AdvSIMD use 0xF for "not implemented"). */
function signedField(reg: bigint, lsb: number): number {
  const v = field(reg, lsb);
  return v >= 8 ? v - 16 : v;
}

/** Linux's arm64_elf_hwcaps for the features an ARMv8.x user-mode CPU can have. */
export function hwcapsFromIds(ids: IdRegisters | undefined): { hwcap: bigint; hwcap2: bigint } {
  if (!ids) return { hwcap: HWCAP_FP | HWCAP_ASIMD, hwcap2: 0n };
  const bits: [boolean, number][] = [];
  const { isar0, isar1, pfr0 } = ids;
  const fp = signedField(pfr0, 16);
  const simd = signedField(pfr0, 20);
  bits.push([fp >= 0, 0], [simd >= 0, 1]);
  bits.push([field(isar0, 4) >= 1, 3], [field(isar0, 4) >= 2, 4]); // AES, PMULL
  bits.push([field(isar0, 8) >= 1, 5], [field(isar0, 12) >= 1, 6]); // SHA1, SHA2
  bits.push([field(isar0, 16) >= 1, 7], [field(isar0, 20) >= 2, 8]); // CRC32, ATOMICS
  bits.push([fp >= 1, 9], [simd >= 1, 10], [true, 11]); // FPHP, ASIMDHP, CPUID
  bits.push([field(isar0, 28) >= 1, 12], [field(isar1, 12) >= 1, 13]); // ASIMDRDM, JSCVT
  bits.push([field(isar1, 16) >= 1, 14], [field(isar1, 20) >= 1, 15]); // FCMA, LRCPC
  bits.push([field(isar1, 0) >= 1, 16], [field(isar0, 32) >= 1, 17]); // DCPOP, SHA3
  bits.push([field(isar0, 36) >= 1, 18], [field(isar0, 40) >= 1, 19]); // SM3, SM4
  bits.push([field(isar0, 44) >= 1, 20], [field(isar0, 12) >= 2, 21]); // ASIMDDP, SHA512
  bits.push([field(pfr0, 32) >= 1, 22], [field(isar0, 48) >= 1, 23]); // SVE, ASIMDFHM
  bits.push([field(pfr0, 48) >= 1, 24], [field(isar1, 20) >= 2, 26]); // DIT, ILRCPC
  bits.push([field(isar0, 52) >= 1, 27], [field(isar1, 36) >= 1, 29]); // FLAGM, SB
  bits.push([field(isar1, 4) + field(isar1, 8) >= 1, 30]); // PACA
  bits.push([field(isar1, 24) + field(isar1, 28) >= 1, 31]); // PACG
  let hwcap = 0n;
  for (const [on, bit] of bits) if (on) hwcap |= 1n << BigInt(bit);
  let hwcap2 = 0n;
  if (field(isar1, 0) >= 2) hwcap2 |= 1n << 0n; // DCPODP
  if (field(isar0, 52) >= 2) hwcap2 |= 1n << 7n; // FLAGM2
  if (field(isar1, 32) >= 1) hwcap2 |= 1n << 8n; // FRINT
  if (field(isar0, 60) >= 1) hwcap2 |= 1n << 16n; // RNG
  return { hwcap, hwcap2 };
}
