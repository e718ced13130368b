// Boots a tiny guest through the host API only (the TypeScript /dev/gunyah): the
// guest prints "Hi" on a UART at 0x0900_0000, which this program emulates from MMIO
// exits, then powers off with PSCI SYSTEM_OFF.
import {
  bootReg,
  createFdt,
  ExitType,
  MapFlag,
  openGunyah,
  ResumeAction,
  RUN_UNION_OFFSET,
  RunMmio,
  serializeFdt,
  type GunyahError,
} from "../src/index.js";

const RAM = 0x4000_0000;
const RAM_SIZE = 2 << 20;
const DTB = RAM + 0x10_0000;
const UART = 0x0900_0000;
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: GunyahError }): T => {
  if (!r.ok) throw r.error;
  return r.value;
};

// movz x1, #0x0900, lsl #16; then 'H', 'i', '\n' each as movz w2 + str w2, [x1];
// x0 = 0x84000008 (PSCI SYSTEM_OFF); hvc #0; b .
const program = new Uint32Array([
  0xd2a12001, 0x52800902, 0xb9000022, 0x52800d22, 0xb9000022, 0x52800142, 0xb9000022, 0xd2800100,
  0xf2b08000, 0xd4000002, 0x14000000,
]);

/** The configuration tree the Resource Manager reads at VM_INIT. */
function configDtb(): Uint8Array {
  const fdt = createFdt();
  const root = fdt.root.setU32("#address-cells", 2).setU32("#size-cells", 2);
  root
    .addChild("cpus")
    .setU32("#address-cells", 1)
    .setU32("#size-cells", 0)
    .addChild("cpu@0")
    .setString("device_type", "cpu")
    .setU32("reg", 0);
  const config = root.addChild("gunyah-vm-config").setString("image-name", "example");
  config
    .addChild("memory")
    .setU64("base-address", BigInt(RAM))
    .setU64("size-max", BigInt(RAM_SIZE));
  config.addChild("vcpus").setString("affinity", "proxy");
  config.addChild("vdevices").setString("generate", "/hypervisor");
  return serializeFdt(fdt);
}

export async function bootExample(print: (text: string) => void): Promise<number> {
  const gunyah = unwrap(await openGunyah()); // boots hypervisor + RM + host VM
  const mem = unwrap(gunyah.createGuestMem({ size: RAM_SIZE }));
  const dtb = configDtb();
  unwrap(mem.write(0, new Uint8Array(program.buffer))); // host pages until lent
  unwrap(mem.write(DTB - RAM, dtb));

  const vm = unwrap(gunyah.createVm());
  unwrap(
    vm.mapMem({
      guestAddr: RAM,
      flags: MapFlag.ALLOW_RWX,
      guestMem: mem,
      offset: 0,
      size: RAM_SIZE,
    }),
  );
  unwrap(vm.setDtbConfig({ guestPhysAddr: DTB, size: dtb.length }));
  unwrap(vm.setBootContext({ reg: bootReg("pc"), value: BigInt(RAM) }));
  const vcpu = unwrap(vm.addFunction({ type: "vcpu", id: 0 }));
  unwrap(await vm.start());

  const run = new Uint8Array(vcpu.runStructure); // the v17 gunyah_vcpu_run page
  let exitType = -1;
  for (;;) {
    const exit = unwrap(await vcpu.run());
    if (exit.reason === "mmio") {
      if (exit.isWrite && exit.physAddr === BigInt(UART))
        print(String.fromCharCode(Number(exit.data & 0xffn)));
      else if (!exit.isWrite)
        run.fill(
          0,
          RUN_UNION_OFFSET + RunMmio.offsets.data,
          RUN_UNION_OFFSET + RunMmio.offsets.data + 8,
        );
      run[RUN_UNION_OFFSET + RunMmio.offsets.resume_action] = ResumeAction.HANDLED;
    } else if (exit.reason === "status") {
      exitType = exit.exitType; // PSCI_POWER_OFF after SYSTEM_OFF
      break;
    } else {
      throw new Error(`unexpected exit: ${exit.reason}`);
    }
  }
  vcpu.close();
  vm.close(); // returns at once: the teardown runs after the last reference
  await vm.released;
  mem.close();
  gunyah.close();
  return exitType;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const exitType = await bootExample((t) => process.stdout.write(t));
  console.log(exitType === ExitType.PSCI_POWER_OFF ? "guest powered off" : `exit type ${exitType}`);
}
