// The `vrtc-pl031` vdevice of a VM configuration (the public RM's parse_vrtc in
// src/vm_config/vm_config_rtc.c): `base` (a u64, page aligned) or `allocate-base`,
// not both and not neither, and one vRTC per VM. The node comes from guest memory, so
// the page is also checked against what the VM already has at that IPA: it must lie
// below the VM's memory (the device window) and clear of the vGIC's frames.

import { err, ok, type Result } from "../lib/result.js";
import type { FdtNode } from "../lib/fdt.js";
import { GIC_DISTRIBUTOR, GIC_REDISTRIBUTOR } from "./gic-frames.js";

/** RTC_IPA_SIZE (src/vm_config/vm_config_rtc.h). */
export const VRTC_IPA_SIZE = 0x1000;
/**
 * Where `allocate-base` puts the vRTC: the PL031 address of QEMU's `virt` machine,
 * which this project's layout follows (ARCHITECTURE.md "Machine layout"). Gunyah's
 * RM takes the first free page of its platform vdevice range instead.
 */
export const VRTC_DEFAULT_BASE = 0x0901_0000;

export interface VrtcConfig {
  readonly name: string;
  /** The PL031's IPA (one page). */
  readonly base: number;
}

const overlaps = (a: number, aSize: number, b: number, bSize: number): boolean =>
  a < b + bSize && b < a + aSize;

function baseOf(node: FdtNode): Result<number, string> {
  const raw = node.getBytes("base");
  const allocate = node.has("allocate-base");
  if (raw && allocate) return err(`${node.name}: base and allocate-base both present`);
  if (!raw && !allocate) return err(`${node.name}: neither base nor allocate-base present`);
  if (!raw) return ok(VRTC_DEFAULT_BASE);
  if (raw.length !== 8) return err(`${node.name}: base is not a u64`);
  const base = new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0);
  if (base % BigInt(VRTC_IPA_SIZE) !== 0n) return err(`${node.name}: base not page aligned`);
  if (base > BigInt(Number.MAX_SAFE_INTEGER)) return err(`${node.name}: base out of range`);
  return ok(Number(base));
}

/** Parses one `vrtc-pl031` node of a VM whose RAM starts at `memoryBase`. */
export function parseVrtc(
  node: FdtNode,
  memoryBase: number,
  vcpus: number,
): Result<VrtcConfig, string> {
  const base = baseOf(node);
  if (!base.ok) return base;
  const at = base.value;
  const hex = `0x${at.toString(16)}`;
  if (at + VRTC_IPA_SIZE > memoryBase)
    return err(
      `${node.name}: base ${hex} overlaps the VM's memory (from 0x${memoryBase.toString(16)})`,
    );
  const redist = GIC_REDISTRIBUTOR.sizePerCpu * vcpus;
  if (
    overlaps(at, VRTC_IPA_SIZE, GIC_DISTRIBUTOR.base, GIC_DISTRIBUTOR.size) ||
    overlaps(at, VRTC_IPA_SIZE, GIC_REDISTRIBUTOR.base, redist)
  )
    return err(`${node.name}: base ${hex} overlaps the GIC`);
  return ok({ name: node.name, base: at });
}
