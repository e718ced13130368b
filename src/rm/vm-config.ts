// The VM configuration device tree (gunyah-abi.md section 3): the `/gunyah-vm-config`
// node a VMM writes into the guest's DTB, which the RM parses at VM_INIT. The blob
// lives in guest memory, so everything here is validated as hostile input.

import { parseFdt, type Fdt, type FdtNode } from "../lib/fdt.js";
import { err, ok, type Result } from "../lib/result.js";
import { u64ToSafe } from "../lib/checked.js";
import { parseVrtc, type VrtcConfig } from "./vm-config-vrtc.js";

export type { VrtcConfig } from "./vm-config-vrtc.js";

export const MAX_VM_VCPUS = 64;
export const MAX_VDEVICES = 64;

/** A GIC interrupt specifier <type number flags> turned into an INTID. */
export function gicSpecifierToIntid(cells: readonly number[]): number | undefined {
  if (cells.length !== 3) return undefined;
  const [type, num] = cells as [number, number, number];
  if (type === 0 && num <= 987) return num + 32; // SPI 0..987 -> INTID 32..1019
  if (type === 2 && num <= 1023) return num + 4096; // extended SPI
  return undefined;
}

export interface DoorbellConfig {
  readonly name: string;
  readonly label: number;
  /** The VM's partner is its default peer (the host that created it). */
  readonly peerDefault: boolean;
  /** `source-can-clear`: the source's cap also gets RECEIVE (clear, mask). */
  readonly sourceCanClear: boolean;
  /** The guest's INTID for the doorbell's interrupt. */
  readonly intid: number;
  readonly level: boolean;
  readonly generate: string;
}

export interface MsgQueuePairConfig {
  readonly name: string;
  readonly label: number;
  readonly peerDefault: boolean;
  readonly depth: number;
  readonly maxSize: number;
  /** Guest INTIDs: [tx (not full), rx (not empty)]. */
  readonly intids: readonly [number, number];
  readonly generate: string;
}

export interface VmConfig {
  readonly imageName: string;
  readonly osType: string;
  readonly memoryBase: number;
  readonly memorySize: number;
  readonly gicPhandle?: number;
  readonly vcpus: number;
  readonly proxyScheduled: boolean;
  readonly generatePath: string;
  readonly doorbells: readonly DoorbellConfig[];
  readonly msgQueuePairs: readonly MsgQueuePairConfig[];
  /** The `vrtc-pl031` vdevice, if any (at most one). */
  readonly vrtc?: VrtcConfig;
}

export type ConfigError = string;

function cpuCount(root: FdtNode): number {
  const cpus = root.child("cpus");
  if (!cpus) return 1;
  return Math.max(
    1,
    cpus.children.filter((c) => c.name === "cpu" || c.name.startsWith("cpu@")).length,
  );
}

function memoryOf(config: FdtNode): Result<{ base: number; size: number }, ConfigError> {
  const mem = config.child("memory");
  if (!mem) return err("no memory node");
  const base = mem.getU64("base-address");
  const size = mem.getU64("size-max");
  const b = base === undefined ? undefined : u64ToSafe(base);
  const s = size === undefined ? undefined : u64ToSafe(size);
  if (b === undefined || s === undefined || s === 0 || b % 4096 !== 0 || s % 4096 !== 0)
    return err("bad memory base-address or size-max");
  return ok({ base: b, size: s });
}

function interruptOf(node: FdtNode): { intid: number; level: boolean } | undefined {
  const cells = node.getU32Array("interrupts");
  if (!cells) return undefined;
  const intid = gicSpecifierToIntid(cells);
  if (intid === undefined) return undefined;
  return { intid, level: (cells[2]! & 0xf) === 4 };
}

function parseDoorbell(node: FdtNode, generateRoot: string): Result<DoorbellConfig, ConfigError> {
  const label = node.getU32("label");
  const irq = interruptOf(node);
  if (label === undefined) return err(`${node.name}: no label`);
  if (!irq) return err(`${node.name}: bad interrupts`);
  return ok({
    name: node.name,
    label,
    peerDefault: node.has("peer-default"),
    // The source may also clear and mask the bell (a level irqfd's mask(1, 1)).
    sourceCanClear: node.has("source-can-clear"),
    intid: irq.intid,
    level: irq.level,
    generate: node.getString("generate") ?? `${generateRoot}/${node.name}`,
  });
}

function parseMsgQueuePair(
  node: FdtNode,
  generateRoot: string,
): Result<MsgQueuePairConfig, ConfigError> {
  const label = node.getU32("label") ?? 0;
  const depth = node.getU32("queue-depth") ?? 8;
  const maxSize = node.getU32("message-size") ?? 240;
  const cells = node.getU32Array("interrupts");
  if (!cells || cells.length !== 6) return err(`${node.name}: needs two interrupts`);
  const tx = gicSpecifierToIntid(cells.slice(0, 3));
  const rx = gicSpecifierToIntid(cells.slice(3, 6));
  if (tx === undefined || rx === undefined || tx === rx) return err(`${node.name}: bad interrupts`);
  if (depth < 1 || depth > 255 || maxSize < 1 || maxSize > 1023)
    return err(`${node.name}: bad queue size`);
  return ok({
    name: node.name,
    label,
    peerDefault: node.has("peer-default"),
    depth,
    maxSize,
    intids: [tx, rx],
    generate: node.getString("generate") ?? `${generateRoot}/${node.name}`,
  });
}

/** Parses `/gunyah-vm-config` (and `/cpus` for the vCPU count) out of a DTB. */
export function parseVmConfig(fdt: Fdt): Result<VmConfig, ConfigError> {
  const root = fdt.root;
  const config = root.child("gunyah-vm-config");
  if (!config) return err("no /gunyah-vm-config node");
  const mem = memoryOf(config);
  if (!mem.ok) return mem;
  const vcpusNode = config.child("vcpus");
  const affinity = vcpusNode?.getString("affinity") ?? "proxy";
  if (affinity !== "proxy") return err(`vcpu affinity "${affinity}" unsupported`);
  const configured = vcpusNode?.getU32("config") ?? vcpusNode?.getU32("count");
  const vcpus = configured ?? cpuCount(root);
  if (vcpus < 1 || vcpus > MAX_VM_VCPUS) return err("bad vCPU count");

  const vdevices = config.child("vdevices");
  const generatePath = vdevices?.getString("generate") ?? "/hypervisor";
  if (!generatePath.startsWith("/") || generatePath.length < 2) return err("bad generate path");
  const doorbells: DoorbellConfig[] = [];
  const queues: MsgQueuePairConfig[] = [];
  let vrtc: VrtcConfig | undefined;
  const children = vdevices?.children ?? [];
  if (children.length > MAX_VDEVICES) return err("too many vdevices");
  for (const node of children) {
    const type = node.getString("vdevice-type");
    if (type === "doorbell") {
      const bell = parseDoorbell(node, generatePath);
      if (!bell.ok) return bell;
      if (doorbells.some((d) => d.label === bell.value.label))
        return err("duplicate doorbell label");
      doorbells.push(bell.value);
    } else if (type === "message-queue-pair") {
      const q = parseMsgQueuePair(node, generatePath);
      if (!q.ok) return q;
      queues.push(q.value);
    } else if (type === "vrtc-pl031") {
      // Only one vRTC per VM (parse_vrtc).
      if (vrtc) return err(`${node.name}: a second vrtc-pl031 (one per VM)`);
      const r = parseVrtc(node, mem.value.base, vcpus);
      if (!r.ok) return r;
      vrtc = r.value;
    } else {
      return err(`${node.name}: unsupported vdevice-type "${type ?? ""}"`);
    }
  }
  return ok({
    imageName: config.getString("image-name") ?? "",
    osType: config.getString("os-type") ?? "linux",
    memoryBase: mem.value.base,
    memorySize: mem.value.size,
    gicPhandle: config.child("interrupts")?.getU32("config"),
    vcpus,
    proxyScheduled: true,
    generatePath,
    doorbells,
    msgQueuePairs: queues,
    ...(vrtc ? { vrtc } : {}),
  });
}

/** Parses a DTB blob and its configuration in one step. */
export function parseVmConfigBlob(
  blob: Uint8Array,
): Result<{ fdt: Fdt; config: VmConfig }, ConfigError> {
  const fdt = parseFdt(blob);
  if (!fdt.ok) return err(`bad DTB: ${fdt.error.reason}`);
  const config = parseVmConfig(fdt.value);
  return config.ok ? ok({ fdt: fdt.value, config: config.value }) : config;
}
