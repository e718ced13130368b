// Step 3 of the builder: put each device on the bus and give its interrupt line an
// irqfd. A device is described by a DeviceSpec (where it lives, which SPI it drives,
// how the device tree names it), so virtio-mmio devices plug in exactly like the UART:
// `virtioMmioSlot(n)` gives slot n's window and SPI from the machine layout.

import { err, ok, type Result } from "../lib/result.js";
import { MmioBus } from "./bus.js";
import type { InterruptLine, MmioDevice } from "./device.js";
import type { IrqBell, VirtioMmioNode } from "./devicetree.js";
import type { GuestRam } from "./guest-ram.js";
import type { VmPort } from "./host-port.js";
import { MachineLayout } from "./layout.js";
import type { StartError } from "./outcome.js";

export interface DeviceSpec {
  readonly base: number;
  /** The SPI the device's interrupt output drives (undefined: no interrupt). */
  readonly spi?: number;
  /** Level-sensitive (PL011) or edge (virtio-mmio's used-buffer notification). */
  readonly level: boolean;
  /** How the guest's device tree describes it (the PL011 node is built in). */
  readonly dtKind: "pl011" | "virtio-mmio";
  /**
   * Makes the device once its interrupt line is known (undefined: polled only). `ram`
   * is the guest RAM as a device may reach it (rings and buffers of a virtio device);
   * pages lent to the guest answer with an error, so DMA needs RAM mapped "share".
   */
  create(irq: InterruptLine | undefined, ram: GuestRam): MmioDevice;
}

export interface AttachedDevices {
  readonly bus: MmioBus;
  readonly devices: readonly MmioDevice[];
  readonly bells: readonly IrqBell[];
  readonly virtioNodes: readonly VirtioMmioNode[];
}

/** Slot n of the virtio-mmio window (QEMU virt: 0x0A00_0000 + n * 0x200, SPI 16 + n). */
export function virtioMmioSlot(
  n: number,
): { readonly base: number; readonly size: number; readonly spi: number } | undefined {
  const v = MachineLayout.virtioMmio;
  if (!Number.isInteger(n) || n < 0 || n >= v.slots) return undefined;
  return { base: v.base + n * v.stride, size: v.stride, spi: v.firstSpi + n };
}

/**
 * An interrupt line delivered by an irqfd. Gunyah's doorbell for a level irqfd is
 * set to ack on delivery (enable=1, ack=1), so each ring is one interrupt: ring on
 * each rising edge. Linux's handlers read status until it is clear, so a line that
 * falls and rises again gets a new edge, and none is lost.
 */
export class IrqfdLine implements InterruptLine {
  private level = false;
  constructor(private readonly trigger: () => void) {}
  set(level: boolean): void {
    if (level && !this.level) this.trigger();
    this.level = level;
  }
}

export async function attachDevices(
  vm: VmPort,
  specs: readonly DeviceSpec[],
  ram: GuestRam,
): Promise<Result<AttachedDevices, StartError>> {
  const bus = new MmioBus();
  const devices: MmioDevice[] = [];
  const bells: IrqBell[] = [];
  const virtioNodes: VirtioMmioNode[] = [];
  for (const spec of specs) {
    let line: InterruptLine | undefined;
    if (spec.spi !== undefined && vm.addIrqfd) {
      // Doorbell labels are the SPI numbers: unique per VM and easy to read in a dump.
      const irqfd = await vm.addIrqfd(spec.spi, spec.level);
      if (!irqfd.ok)
        return err({
          kind: "host",
          step: `add the irqfd for SPI ${spec.spi}`,
          message: irqfd.error.message,
        });
      line = new IrqfdLine(() => irqfd.value.trigger());
      bells.push({ label: spec.spi, spi: spec.spi, level: spec.level });
    }
    const device = spec.create(line, ram);
    const r = bus.register(spec.base, device);
    if (!r.ok) {
      const why =
        r.error.kind === "overlap" ? `overlaps ${r.error.existing}` : "has an invalid window";
      return err({
        kind: "device",
        message: `${device.name} at 0x${spec.base.toString(16)} ${why}`,
      });
    }
    devices.push(device);
    if (spec.dtKind === "virtio-mmio") {
      if (spec.spi === undefined)
        return err({ kind: "device", message: `${device.name} needs an interrupt` });
      virtioNodes.push({ base: spec.base, size: device.size, spi: spec.spi });
    }
  }
  return ok({ bus, devices, bells, virtioNodes });
}
