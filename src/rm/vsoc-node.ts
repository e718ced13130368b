// The device-tree nodes the RM generates for a `vrtc-pl031` vdevice, as the public RM
// does (src/vm_creation/vm_creation.c creates `/vsoc` when the VM's tree has none;
// src/vm_creation/vm_creation_rtc.c dto_create_vrtc adds the two children): a dummy
// fixed clock, because Linux's AMBA bus will not probe a PL031 without its apb_pclk,
// and the `arm,pl031` node itself. There is no interrupt: Gunyah's vRTC raises none.

import { maxPhandle, toCells, type Fdt, type FdtNode } from "../lib/fdt.js";
import { VRTC_IPA_SIZE, type VrtcConfig } from "./vm-config-vrtc.js";

const VSOC = "vsoc";

function vsocNode(root: FdtNode): FdtNode {
  const existing = root.child(VSOC);
  if (existing) return existing;
  return root
    .addChild(VSOC)
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setEmpty("ranges")
    .setString("compatible", "simple-bus");
}

/** Adds `/vsoc/vrtc-pclk` and `/vsoc/vrtc` for the VM's vRTC. */
export function addVrtcNodes(fdt: Fdt, vrtc: VrtcConfig): void {
  const vsoc = vsocNode(fdt.root);
  const phandle = maxPhandle(fdt.root) + 1;
  vsoc
    .addChild("vrtc-pclk")
    .setU32("#clock-cells", 0)
    .setString("compatible", "fixed-clock")
    .setU32("clock-frequency", 1)
    .setU32("phandle", phandle);
  vsoc
    .addChild("vrtc")
    .setStrings("compatible", "arm,pl031", "arm,primecell")
    .setU32("reg", ...toCells(BigInt(vrtc.base), 2), ...toCells(BigInt(VRTC_IPA_SIZE), 2))
    .setString("clock-names", "apb_pclk")
    .setU32("clocks", phandle);
}
