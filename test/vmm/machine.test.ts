import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFdt } from "../../src/lib/fdt.js";
import { setLogSink } from "../../src/lib/log.js";
import { validateConfig, type MachineConfig } from "../../src/vmm/config.js";
import { buildMachine } from "../../src/vmm/machine.js";
import {
  describeOutcome,
  outcomeExitCode,
  describeStartError,
  type RunOutcome,
} from "../../src/vmm/outcome.js";
import { FakeHypervisor, uartWrites, type Step } from "./fake-host.js";
import { nodeFiles } from "../../src/cli/files.js";

setLogSink(() => {});

const POWER_OFF: Step = { status: 2, exitType: 1 };
const UART = 0x0900_0000;

async function boot(scripts: Step[][], config: MachineConfig = {}, hostOptions = {}) {
  const host = new FakeHypervisor(scripts, hostOptions);
  const res = await validateConfig(config, nodeFiles);
  assert.ok(res.ok);
  const out: number[] = [];
  const built = await buildMachine(host, res.value, { output: (b) => out.push(...b) });
  return { host, built, out, text: () => new TextDecoder().decode(Uint8Array.from(out)) };
}

async function run(scripts: Step[][], config: MachineConfig = {}, hostOptions = {}) {
  const b = await boot(scripts, config, hostOptions);
  assert.ok(b.built.ok, b.built.ok ? "" : describeStartError(b.built.error));
  const outcome: RunOutcome = await b.built.value.run();
  return { ...b, outcome, machine: b.built.value };
}

test("the demo's path: UART output, then SYSTEM_OFF -> powered off, exit code 0", async () => {
  const { outcome, text, host } = await run([[...uartWrites("Hi\n"), POWER_OFF]]);
  assert.deepEqual(outcome, { kind: "powered-off" });
  assert.equal(outcomeExitCode(outcome), 0);
  assert.equal(text(), "Hi\n");
  const vcpu = host.vm?.vcpus[0];
  assert.ok(vcpu);
  // Every FR read was answered "TX FIFO empty" with action HANDLED; every write HANDLED.
  const frReads = vcpu.replies.filter((r) => r.address === UART + 0x18);
  assert.equal(frReads.length, 3);
  for (const r of frReads) assert.deepEqual([r.value & 0xffn, r.action], [0x90n, 0]);
  assert.ok(vcpu.replies.every((r) => r.action === 0));
  assert.equal(host.vm?.closed, 1, "torn down once");
});

test("the builder loads the image, writes a DTB the host is told about, and sets PC and X0", async () => {
  const { host, machine } = await run([[POWER_OFF]]);
  const vm = host.vm;
  const mem = host.memory;
  assert.ok(vm && mem);
  const { plan, kernel } = machine.resources;
  assert.deepEqual(
    mem.bytes.subarray(0, kernel.bytes.length),
    kernel.bytes,
    "kernel at the RAM base",
  );
  assert.deepEqual(
    vm.maps.map((m) => [m.guestAddr, m.offset, m.size, m.access]),
    [[0x4000_0000, 0, 256 << 20, "lend"]],
  );
  const dtbAddr = 0x4000_0000 + plan.dtb.offset;
  assert.deepEqual(vm.dtbConfig, { addr: dtbAddr, size: plan.dtb.size });
  assert.equal(dtbAddr % (2 << 20), 0, "DTB in its own 2 MiB block");
  assert.deepEqual(vm.bootRegisters, [
    { register: { set: "pc" }, value: 0x4000_0000n },
    { register: { set: "x", index: 0 }, value: BigInt(dtbAddr) },
  ]);
  const fdt = parseFdt(mem.bytes.subarray(plan.dtb.offset, plan.dtb.offset + plan.dtb.size));
  assert.ok(fdt.ok, "a valid FDT where the host was told");
  assert.deepEqual(
    fdt.value.root.find("gunyah-vm-config/vdevices/bell-1")?.getU32Array("interrupts"),
    [0, 1, 4],
  );
  assert.deepEqual(
    machine.deviceTree,
    mem.bytes.subarray(plan.dtb.offset, plan.dtb.offset + machine.deviceTree.length),
  );
  assert.deepEqual(
    vm.irqfds.map((i) => [i.label, i.level]),
    [[1, true]],
  );
});

test("the UART interrupt rings its irqfd on each rising edge", async () => {
  const { host } = await run([
    [
      { mmioWrite: UART + 0x38, width: 4, value: 0x20n }, // IMSC = TXIM
      { mmioWrite: UART, width: 4, value: 0x41n }, // TX -> TXRIS -> line up
      { mmioWrite: UART, width: 4, value: 0x42n }, // still up: no second edge
      { mmioWrite: UART + 0x44, width: 4, value: 0x20n }, // ICR: line down
      { mmioWrite: UART, width: 4, value: 0x43n }, // up again
      POWER_OFF,
    ],
  ]);
  assert.equal(host.vm?.irqfds[0]?.triggers, 2);
});

test("without irqfd support the UART still works, polled, and the DT has no doorbell", async () => {
  const { outcome, text, machine } = await run(
    [[...uartWrites("ok"), POWER_OFF]],
    {},
    { irqfd: false },
  );
  assert.equal(outcome.kind, "powered-off");
  assert.equal(text(), "ok");
  const fdt = parseFdt(machine.deviceTree);
  assert.ok(fdt.ok);
  assert.equal(fdt.value.root.find("gunyah-vm-config/vdevices")?.children.length, 0);
});

test("refused MMIO (no device, bad width, misaligned) is answered FAULT and the guest goes on", async () => {
  const { outcome, host } = await run([
    [
      { mmioRead: 0x0a00_0000, width: 4 },
      { mmioWrite: UART, width: 8, value: 0n },
      { mmioRead: UART + 2, width: 4 },
      { mmioRead: UART + 0xfe0, width: 4 },
      POWER_OFF,
    ],
  ]);
  assert.equal(outcome.kind, "powered-off");
  assert.deepEqual(
    host.vm?.vcpus[0]?.replies.map((r) => r.action),
    [1, 1, 1, 0],
  );
  assert.equal(host.vm?.vcpus[0]?.replies[3]?.value, 0x11n, "PeriphID0 read completed");
});

test("exits that end the run: reset, crash, page fault, unknown reason, host error", async () => {
  const cases: Array<[Step, string, number]> = [
    [{ status: 2, exitType: 2 }, "reset", 3],
    [{ status: 3, exitType: 5, reason: [1, 2] }, "crashed", 2],
    [{ status: 2, exitType: 4 }, "exited", 2],
    [{ pageFault: 0x1_0000_0000 }, "page-fault", 2],
    [{ exitCode: 9 }, "unknown-exit", 2],
    [{ hostError: "EIO: lost the RM" }, "host-error", 2],
  ];
  for (const [step, kind, code] of cases) {
    const { outcome } = await run([[step]], { onUnbacked: "stop" });
    assert.equal(outcome.kind, kind);
    assert.equal(outcomeExitCode(outcome), code, kind);
    assert.ok(describeOutcome(outcome).length > 10);
  }
  const { outcome } = await run([[{ pageFault: 0x1_0000_0000 }]], { onUnbacked: "stop" });
  assert.equal(
    describeOutcome(outcome),
    "guest faulted: vCPU 0 accessed 0x100000000, which is neither RAM nor a device (errno -14)",
  );
});

test("an access to nothing is answered FAULT by default (an abort in the guest), and the VM runs on", async () => {
  const { outcome, host, text } = await run([
    [{ pageFault: 0x1_0000_0000 }, { pageFault: 0x1_0000_0008 }, ...uartWrites("ok"), POWER_OFF],
  ]);
  assert.deepEqual(outcome, { kind: "powered-off" });
  assert.equal(text(), "ok");
  const faults = host.vm?.vcpus[0]?.replies.slice(0, 2);
  assert.deepEqual(
    faults?.map((r) => [r.address, r.action]),
    [
      [0x1_0000_0000, 1],
      [0x1_0000_0008, 1],
    ],
    "resume_action FAULT for each",
  );
  const bad = await validateConfig({ onUnbacked: "ignore" }, nodeFiles);
  assert.ok(!bad.ok && bad.error.kind === "bad-option" && bad.error.option === "--on-unbacked");
});

test("--timeout stops a guest that never stops, with exit code 124", async () => {
  const started = Date.now();
  const { outcome } = await run([[{ hang: true }]], { timeoutSeconds: 0.2 });
  assert.deepEqual(outcome, { kind: "timeout", seconds: 0.2 });
  assert.equal(outcomeExitCode(outcome), 124);
  assert.ok(Date.now() - started < 1500, "stopped promptly");
});

test("with several vCPUs the first outcome wins and the other loops leave", async () => {
  const { outcome, host } = await run([[...uartWrites("x"), POWER_OFF], [{ hang: true }]], {
    cpus: 2,
  });
  assert.equal(outcome.kind, "powered-off");
  assert.equal(host.vm?.vcpus.length, 2);
});

test("start-up failures are one StartError and the VM is closed", async () => {
  const nomem = await boot([], {}, { memoryLimit: 1 << 20 });
  assert.ok(!nomem.built.ok);
  assert.equal(
    describeStartError(nomem.built.error),
    "the host refused to allocate 256 MiB of guest memory: ENOMEM: no host memory",
  );
  assert.equal(nomem.host.vm?.closed, 1);

  const { outcome, host } = await run([[POWER_OFF]], {}, { failStart: true });
  assert.equal(outcome.kind, "start-failed");
  assert.equal(outcomeExitCode(outcome), 1);
  assert.equal(describeOutcome(outcome), "the host could not start the VM: EINVAL: VM_INIT failed");
  assert.equal(host.vm?.closed, 1);
});

test("extra devices (a virtio-mmio slot) get the bus, an irqfd and a device-tree node", async () => {
  const { virtioMmioSlot } = await import("../../src/vmm/devices.js");
  const slot = virtioMmioSlot(2);
  assert.deepEqual(slot, { base: 0x0a00_0400, size: 0x200, spi: 18 });
  assert.equal(virtioMmioSlot(32), undefined);
  assert.equal(virtioMmioSlot(-1), undefined);
  assert.ok(slot);
  let line: { set(level: boolean): void } | undefined;
  const device = {
    name: "virtio-test",
    size: slot.size,
    widths: [4] as const,
    read: () => ({ ok: true as const, value: 0x7472_6976n }), // "virt"
    write: () => {
      line?.set(true);
      return { ok: true as const, value: undefined };
    },
  };
  const host = new FakeHypervisor([
    [
      { mmioRead: slot.base, width: 4 },
      { mmioWrite: slot.base + 0x50, width: 4, value: 0n },
      POWER_OFF,
    ],
  ]);
  const res = await validateConfig({}, nodeFiles);
  assert.ok(res.ok);
  const built = await buildMachine(
    host,
    res.value,
    { output: () => {} },
    {
      extraDevices: [
        {
          base: slot.base,
          spi: slot.spi,
          level: false,
          dtKind: "virtio-mmio",
          create: (irq) => {
            line = irq;
            return device;
          },
        },
      ],
    },
  );
  assert.ok(built.ok);
  const fdt = parseFdt(built.value.deviceTree);
  assert.ok(fdt.ok);
  assert.deepEqual(
    fdt.value.root.find("virtio_mmio@a000400")?.getU32Array("interrupts"),
    [0, 18, 1],
  );
  assert.deepEqual(
    fdt.value.root.find("gunyah-vm-config/vdevices/bell-12")?.getU32Array("interrupts"),
    [0, 18, 1],
  );
  assert.equal((await built.value.run()).kind, "powered-off");
  assert.equal(host.vm?.vcpus[0]?.replies[0]?.value, 0x7472_6976n);
  assert.deepEqual(
    host.vm?.irqfds.map((i) => [i.label, i.level, i.triggers]),
    [
      [1, true, 0],
      [18, false, 1],
    ],
  );

  const clash = await buildMachine(
    new FakeHypervisor([]),
    res.value,
    { output: () => {} },
    {
      extraDevices: [
        { base: 0x0900_0800, level: true, dtKind: "virtio-mmio", create: () => device },
      ],
    },
  );
  assert.ok(!clash.ok);
  assert.equal(
    describeStartError(clash.error),
    "device setup failed: virtio-test at 0x9000800 overlaps pl011",
  );
});

test("a vCPU port that throws ends the run as a host error instead of crashing the VMM", async () => {
  const b = await boot([[POWER_OFF]]);
  assert.ok(b.built.ok);
  const vcpu = b.host.vm?.vcpus[0];
  assert.ok(vcpu);
  vcpu.run = async () => {
    throw new Error("boom");
  };
  const outcome = await b.built.value.run();
  assert.equal(outcome.kind, "host-error");
  assert.match(describeOutcome(outcome), /^vCPU 0: host error: Error: boom$/);
  assert.equal(b.host.vm?.closed, 1);
});

test(
  "a guest polling a register in a tight loop cannot starve timers: --timeout still fires",
  { timeout: 10_000 },
  async () => {
    const started = Date.now();
    const { outcome, host } = await run([[{ spinRead: UART + 0x18 }]], { timeoutSeconds: 0.1 });
    assert.deepEqual(outcome, { kind: "timeout", seconds: 0.1 });
    assert.ok(Date.now() - started < 3000);
    assert.ok((host.vm?.vcpus[0]?.replies.length ?? 0) > 100, "the guest did run meanwhile");
  },
);
