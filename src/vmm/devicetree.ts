// The guest's device tree: what an arm64 Linux kernel needs to find its memory, CPUs,
// interrupt controller, timer, console and PSCI (Documentation/arm64/booting.rst,
// the devicetree bindings of each node), plus the `/gunyah-vm-config` node the
// Resource Manager reads to create the VM's resources (gunyah-abi.md section 3). The
// RM adds the nodes it generates (`/hypervisor`) to this same tree before the guest
// runs, so the blob is written into a larger reserved range.

import { createFdt, serializeFdt, toCells, type Fdt, type FdtNode } from "../lib/fdt.js";
import { MachineLayout } from "./layout.js";

/** GIC interrupt specifier cells (bindings/interrupt-controller/arm,gic-v3.yaml). */
const GIC_SPI = 0;
const GIC_PPI = 1;
const IRQ_TYPE_EDGE_RISING = 1;
const IRQ_TYPE_LEVEL_HIGH = 4;

const PHANDLE_GIC = 1;
const PHANDLE_APB_CLOCK = 2;
/** PL011 reference clock: what QEMU's virt machine advertises; Linux derives baud from it. */
const UART_CLOCK_HZ = 24_000_000;

/** A doorbell the RM creates for one irqfd: the host signals it, the guest sees an SPI. */
export interface IrqBell {
  /** Matches the irqfd's label (the host pairs resources with functions by label). */
  readonly label: number;
  readonly spi: number;
  readonly level: boolean;
}

export interface VirtioMmioNode {
  readonly base: number;
  readonly size: number;
  readonly spi: number;
}

export interface GuestDtOptions {
  readonly imageName: string;
  readonly memoryBase: number;
  readonly memorySize: number;
  readonly cpus: number;
  readonly bootargs: string;
  readonly initrd?: { readonly start: number; readonly size: number };
  readonly uart: { readonly base: number; readonly size: number; readonly spi: number };
  readonly virtio: readonly VirtioMmioNode[];
  readonly bells: readonly IrqBell[];
  /**
   * A `vrtc-pl031` vdevice at this IPA: the RM builds the hypervisor's vRTC and adds
   * its `/vsoc/vrtc` node (arm,pl031) to the guest's tree itself, as Gunyah's RM does.
   */
  readonly rtc?: { readonly base: number };
}

const hex = (n: number) => n.toString(16);

export function buildGuestDeviceTree(o: GuestDtOptions): Fdt {
  const fdt = createFdt();
  const root = fdt.root;
  root
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setStrings("compatible", "linux,dummy-virt")
    .setString("model", "gunyah-ts virtual machine")
    .setU32("interrupt-parent", PHANDLE_GIC);

  addChosen(root, o);
  root.addChild("aliases").setString("serial0", `/pl011@${hex(o.uart.base)}`);
  root
    .addChild(`memory@${hex(o.memoryBase)}`)
    .setString("device_type", "memory")
    .setU32("reg", ...reg(o.memoryBase, o.memorySize));
  addCpus(root, o.cpus);
  addGic(root, o.cpus);
  addTimer(root);
  addPmu(root);
  addPsci(root);
  addUart(root, o.uart);
  for (const v of o.virtio) addVirtioMmio(root, v);
  addVmConfig(root, o);
  return fdt;
}

export function serializeGuestDeviceTree(fdt: Fdt): Uint8Array {
  return serializeFdt(fdt);
}

function reg(base: number, size: number): number[] {
  return [...toCells(BigInt(base), 2), ...toCells(BigInt(size), 2)];
}

function addChosen(root: FdtNode, o: GuestDtOptions): void {
  const chosen = root.addChild("chosen");
  chosen.setString("bootargs", o.bootargs);
  chosen.setString("stdout-path", `/pl011@${hex(o.uart.base)}`);
  if (o.initrd) {
    chosen.setU64("linux,initrd-start", BigInt(o.initrd.start));
    chosen.setU64("linux,initrd-end", BigInt(o.initrd.start + o.initrd.size));
  }
}

/** Secondary CPUs are started with PSCI CPU_ON (bindings/arm/cpus.yaml enable-method). */
function addCpus(root: FdtNode, count: number): void {
  const cpus = root.addChild("cpus").setU32("#address-cells", 1).setU32("#size-cells", 0);
  for (let i = 0; i < count; i++) {
    cpus
      .addChild(`cpu@${hex(i)}`)
      .setString("device_type", "cpu")
      .setString("compatible", "arm,armv8")
      .setU32("reg", i) // MPIDR affinity = vCPU index: the RM gives every vic the linear mapping
      .setString("enable-method", "psci");
  }
}

/** The virtual GICv3 the hypervisor emulates itself, at its fixed frames. */
function addGic(root: FdtNode, cpus: number): void {
  const { gicDistributor: d, gicRedistributors: r } = MachineLayout;
  root
    .addChild(`intc@${hex(d.base)}`)
    .setString("compatible", "arm,gic-v3")
    .setU32("#interrupt-cells", 3)
    .setEmpty("interrupt-controller")
    // An interrupt provider with children-free reg still declares its address cells
    // (dtc's interrupt_provider check; QEMU's virt does the same).
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setEmpty("ranges")
    .setU32("#redistributor-regions", 1)
    .setU32("reg", ...reg(d.base, d.size), ...reg(r.base, r.sizePerCpu * cpus))
    .setU32("phandle", PHANDLE_GIC);
}

/** The generic timer's four PPIs (bindings/timer/arm,arch_timer.yaml order). */
function addTimer(root: FdtNode): void {
  const cells = MachineLayout.timerPpis.flatMap((ppi) => [GIC_PPI, ppi, IRQ_TYPE_LEVEL_HIGH]);
  root
    .addChild("timer")
    .setStrings("compatible", "arm,armv8-timer")
    .setU32("interrupts", ...cells)
    .setEmpty("always-on");
}

/**
 * The CPU's PMUv3 (src/arch/arm64/pmu.ts): its overflow interrupt is PPI 7, a level,
 * as QEMU virt writes the node (hw/arm/virt.c, fdt_add_pmu_nodes: VIRTUAL_PMU_IRQ 7;
 * bindings/arm/pmu.yaml).
 */
const PMU_PPI = 7;
function addPmu(root: FdtNode): void {
  root
    .addChild("pmu")
    .setStrings("compatible", "arm,armv8-pmuv3")
    .setU32("interrupts", GIC_PPI, PMU_PPI, IRQ_TYPE_LEVEL_HIGH);
}

/** Gunyah's virtual PSCI 1.1 through HVC (bindings/arm/psci.yaml). */
function addPsci(root: FdtNode): void {
  root
    .addChild("psci")
    .setStrings("compatible", "arm,psci-1.0", "arm,psci-0.2")
    .setString("method", "hvc");
}

/** PL011 with the two clocks the amba bus and the driver ask for (uartclk, apb_pclk). */
function addUart(root: FdtNode, uart: GuestDtOptions["uart"]): void {
  root
    .addChild("apb-pclk")
    .setString("compatible", "fixed-clock")
    .setU32("#clock-cells", 0)
    .setU32("clock-frequency", UART_CLOCK_HZ)
    .setString("clock-output-names", "clk24mhz")
    .setU32("phandle", PHANDLE_APB_CLOCK);
  root
    .addChild(`pl011@${hex(uart.base)}`)
    .setStrings("compatible", "arm,pl011", "arm,primecell")
    .setU32("reg", ...reg(uart.base, uart.size))
    .setU32("interrupts", GIC_SPI, uart.spi, IRQ_TYPE_LEVEL_HIGH)
    .setU32("clocks", PHANDLE_APB_CLOCK, PHANDLE_APB_CLOCK)
    .setStrings("clock-names", "uartclk", "apb_pclk");
}

function addVirtioMmio(root: FdtNode, v: VirtioMmioNode): void {
  root
    .addChild(`virtio_mmio@${hex(v.base)}`)
    .setString("compatible", "virtio,mmio")
    .setU32("reg", ...reg(v.base, v.size))
    .setU32("interrupts", GIC_SPI, v.spi, IRQ_TYPE_EDGE_RISING)
    .setEmpty("dma-coherent");
}

/**
 * What the RM reads before it creates the VM (gunyah-abi.md section 3): the image,
 * the guest's memory range, the interrupt controller, proxy-scheduled vCPUs, and a
 * doorbell per irqfd, generated into the guest's `/hypervisor` node.
 */
function addVmConfig(root: FdtNode, o: GuestDtOptions): void {
  const config = root
    .addChild("gunyah-vm-config")
    .setString("image-name", o.imageName)
    .setString("os-type", "linux");
  config
    .addChild("memory")
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setU64("base-address", BigInt(o.memoryBase))
    .setU64("size-max", BigInt(o.memorySize));
  config.addChild("interrupts").setU32("config", PHANDLE_GIC);
  config.addChild("vcpus").setString("affinity", "proxy");
  const vdevices = config.addChild("vdevices").setString("generate", "/hypervisor");
  for (const bell of o.bells) {
    vdevices
      .addChild(`bell-${hex(bell.label)}`)
      .setString("vdevice-type", "doorbell")
      .setString("generate", `/hypervisor/bell-${hex(bell.label)}`)
      .setU32("label", bell.label)
      .setEmpty("peer-default")
      .setEmpty("source-can-clear")
      .setU32(
        "interrupts",
        GIC_SPI,
        bell.spi,
        bell.level ? IRQ_TYPE_LEVEL_HIGH : IRQ_TYPE_EDGE_RISING,
      );
  }
  if (o.rtc)
    vdevices
      .addChild("vrtc")
      .setString("vdevice-type", "vrtc-pl031")
      .setU64("base", BigInt(o.rtc.base));
}
