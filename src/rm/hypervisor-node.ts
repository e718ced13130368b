// The `/hypervisor` node the RM adds to a VM's device tree (the node a Gunyah guest
// reads to find the hypervisor, its VMID and its virtual devices). Each generated
// doorbell gets a child at its `generate` path with its label and interrupt.

import { toCells, type Fdt, type FdtNode } from "../lib/fdt.js";
import type { GeneratedDoorbell, GuestRpc } from "./vm-build.js";
import type { VmConfig } from "./vm-config.js";

function intidToSpecifier(intid: number, level: boolean): number[] {
  const flags = level ? 4 : 1;
  return intid >= 4096 ? [2, intid - 4096, flags] : [0, intid - 32, flags];
}

/** Finds or creates the node at an absolute path. */
function ensurePath(root: FdtNode, path: string): FdtNode {
  let node = root;
  for (const part of path.split("/").filter((p) => p !== "")) node = node.addChild(part);
  return node;
}

/**
 * Adds the generated nodes. The node is deliberately not a "simple-bus": a guest
 * kernel without Gunyah drivers must not try to make platform devices of children
 * whose `reg` holds capability IDs rather than addresses.
 */
export function addHypervisorNode(
  fdt: Fdt,
  config: VmConfig,
  vmid: number,
  doorbells: readonly GeneratedDoorbell[],
  rpc?: GuestRpc,
): void {
  const hyp = ensurePath(fdt.root, config.generatePath);
  hyp
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 0)
    .setStrings("compatible", "gunyah-hypervisor-1.0", "gunyah-hypervisor");
  hyp
    .addChild("qcom,gunyah-vm")
    .setStrings("compatible", "qcom,gunyah-vm-id-1.0", "qcom,gunyah-vm-id")
    .setU32("qcom,vmid", vmid)
    .setString("qcom,vendor", "gunyah-ts")
    .setString("qcom,image-name", config.imageName);
  if (rpc) {
    // The VM's RM channel: reg = <tx cap>, <rx cap>; interrupts = tx, rx (edge).
    hyp
      .addChild("qcom,resource-mgr")
      .setStrings("compatible", "qcom,resource-manager-1-0", "qcom,resource-manager")
      .setU32("reg", ...toCells(rpc.txCap, 2), ...toCells(rpc.rxCap, 2))
      .setU32(
        "interrupts",
        ...intidToSpecifier(rpc.txIntid, false),
        ...intidToSpecifier(rpc.rxIntid, false),
      )
      .setEmpty("qcom,is-full-duplex");
  }
  for (const bell of doorbells) {
    const node = ensurePath(fdt.root, `${config.generatePath}/${bell.name}`);
    node
      .setStrings("compatible", "qcom,gunyah-doorbell")
      .setU32("qcom,label", bell.label)
      .setEmpty("qcom,is-receiver")
      .setU32("interrupts", ...intidToSpecifier(bell.intid, bell.level));
  }
}
