// A tiny hand-encoded guest and its configuration tree, shared by the end-to-end tests.

import { createFdt, serializeFdt } from "../../src/lib/fdt.js";

export const GUEST_RAM = 0x4000_0000;
export const RAM_SIZE = 2 << 20;
export const DTB_OFFSET = 0x1_0000;
export const UART = 0x0900_0000;

/** Writes 'H' to the UART, reads UARTFR, stores it at RAM + 0x100, PSCI SYSTEM_OFF. */
export const PROGRAM = [
  0xd2a12001, // movz x1, #0x0900, lsl #16     x1 = UART
  0x52800902, // movz w2, #0x48                 'H'
  0xb9000022, // str  w2, [x1]                  UARTDR write -> MMIO exit
  0xb9401823, // ldr  w3, [x1, #0x18]           UARTFR read  -> MMIO exit
  0xd2a80004, // movz x4, #0x4000, lsl #16      x4 = guest RAM
  0xb9010083, // str  w3, [x4, #0x100]          keep what was read
  0xd2800100, // movz x0, #0x8
  0xf2b08000, // movk x0, #0x8400, lsl #16      x0 = PSCI SYSTEM_OFF
  0xd4000002, // hvc  #0
  0x14000000, // b    .
];

export function programBytes(words: readonly number[] = PROGRAM): Uint8Array {
  return new Uint8Array(new Uint32Array(words).buffer);
}

/** A DTB with the /gunyah-vm-config node the RM parses at VM_INIT. */
export function configDtb(
  bells: ReadonlyArray<{ label: number; spi: number }> = [],
  cpuCount = 1,
  ram: { base: number; size: number } = { base: GUEST_RAM, size: RAM_SIZE },
): Uint8Array {
  const fdt = createFdt();
  const root = fdt.root.setU32("#address-cells", 2).setU32("#size-cells", 2);
  const cpus = root.addChild("cpus").setU32("#address-cells", 1).setU32("#size-cells", 0);
  for (let i = 0; i < cpuCount; i++) {
    cpus.addChild(`cpu@${i}`).setString("device_type", "cpu").setU32("reg", i);
  }
  const config = root
    .addChild("gunyah-vm-config")
    .setString("image-name", "e2e")
    .setString("os-type", "linux");
  config
    .addChild("memory")
    .setU64("base-address", BigInt(ram.base))
    .setU64("size-max", BigInt(ram.size));
  config.addChild("interrupts").setU32("config", 1);
  config.addChild("vcpus").setString("affinity", "proxy");
  const vdevices = config.addChild("vdevices").setString("generate", "/hypervisor");
  for (const b of bells) {
    vdevices
      .addChild(`bell-${b.label}`)
      .setString("vdevice-type", "doorbell")
      .setU32("label", b.label)
      .setEmpty("peer-default")
      .setU32("interrupts", 0, b.spi, 4);
  }
  return serializeFdt(fdt);
}

/**
 * Two vCPUs: vCPU 0 starts vCPU 1 with PSCI CPU_ON at RAM + 0x200, writes 'A', waits
 * for vCPU 1's flag at RAM + 0x300, then SYSTEM_OFF. vCPU 1 writes 'B', sets the flag
 * and sleeps in WFI.
 */
export function smpProgram(): Uint8Array {
  const words = new Uint32Array(0x100);
  words.set([
    0xd2800060, // movz x0, #3
    0xf2b88000, // movk x0, #0xc400, lsl #16      PSCI CPU_ON (64-bit)
    0xd2800021, // movz x1, #1                     target MPIDR 1
    0xd2804002, // movz x2, #0x200
    0xf2a80002, // movk x2, #0x4000, lsl #16       entry = RAM + 0x200
    0xd2800003, // movz x3, #0                     context id
    0xd4000002, // hvc  #0
    0xd2a12001, // movz x1, #0x0900, lsl #16
    0x52800822, // movz w2, #0x41                  'A'
    0xb9000022, // str  w2, [x1]
    0xd2a80004, // movz x4, #0x4000, lsl #16
    0xb9430085, // ldr  w5, [x4, #0x300]           wait for vCPU 1's flag
    0x34ffffe5, // cbz  w5, .-4
    0xd2800100, // movz x0, #8
    0xf2b08000, // movk x0, #0x8400, lsl #16       PSCI SYSTEM_OFF
    0xd4000002, // hvc  #0
    0x14000000, // b    .
  ]);
  words.set(
    [
      0xd2a12001, // movz x1, #0x0900, lsl #16
      0x52800842, // movz w2, #0x42                'B'
      0xb9000022, // str  w2, [x1]
      0xd2a80004, // movz x4, #0x4000, lsl #16
      0x52800025, // movz w5, #1
      0xb9030085, // str  w5, [x4, #0x300]          flag
      0xd503207f, // wfi
      0x17ffffff, // b    .-4
    ],
    0x200 / 4,
  );
  return new Uint8Array(words.buffer);
}
