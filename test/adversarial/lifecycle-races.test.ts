// Attack: a VMM that races its own handles (hardening.md: the VMM is untrusted by the
// host VM manager): two run() calls on one vCPU at once, closing the VM, the vCPU, the
// guest memory or the whole device while a run() is in flight. Every call settles (no
// hang, no unhandled rejection), and once every handle is closed the hypervisor's
// accounting is back where it started.
import { test } from "node:test";
import assert from "node:assert/strict";
import { A64, mov64 } from "./a64.js";
import { kitProgram } from "./guest-kit.js";
import { accounting, openDevice, startGuest } from "./harness.js";

/** MMIO read of UARTFR, MMIO write of what it read, forever. */
const LOOP = [...mov64(2, 0x0900_0018n), A64.ldrW(3, 2), A64.strX(3, 1, 0), 0x17ff_fffe];

test("racing run() against close() of every handle: everything settles, nothing leaks", async () => {
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);
  process.on("unhandledRejection", onRejection);
  const { gunyah, platform } = await openDevice(110);
  const before = accounting(platform);

  let g = await startGuest(gunyah, kitProgram(LOOP));
  const [a, b] = await Promise.all([g.vcpus[0]!.run(), g.vcpus[0]!.run()]);
  assert.ok(a.ok && b.ok, "two concurrent runs are serialized, not refused with a crash");
  const duringVmClose = g.vcpus[0]!.run();
  g.vm.close();
  assert.ok((await duringVmClose).ok !== undefined);
  g.vcpus[0]!.close();
  await g.vm.released;
  g.mem.close();

  g = await startGuest(gunyah, kitProgram(LOOP));
  assert.ok((await g.vcpus[0]!.run()).ok);
  g.mem.close(); // the VM keeps its own reference to the memory
  const afterMemClose = await g.vcpus[0]!.run();
  assert.ok(afterMemClose.ok, "the guest keeps running on memory the VMM closed");
  const duringVcpuClose = g.vcpus[0]!.run();
  g.vcpus[0]!.close();
  assert.ok((await duringVcpuClose).ok !== undefined);
  g.vm.close();
  await g.vm.released;

  g = await startGuest(gunyah, kitProgram(LOOP));
  const duringDeviceClose = g.vcpus[0]!.run();
  gunyah.close();
  assert.ok((await duringDeviceClose).ok !== undefined);
  g.vcpus[0]!.close();
  g.vm.close();
  await g.vm.released;
  g.mem.close();

  await new Promise((r) => setTimeout(r, 10));
  process.off("unhandledRejection", onRejection);
  assert.deepEqual(rejections, []);
  assert.equal(accounting(platform), before);
});

test("a guest that spins or sleeps with interrupts masked never keeps the VMM's thread", async () => {
  const { gunyah } = await openDevice(111);
  const DAIFSET_ALL = 0xd503_43df; // msr daifset, #3: IRQ and FIQ masked
  for (const program of [[A64.spin()], kitProgram([DAIFSET_ALL, A64.wfi(), A64.wfi()])]) {
    const g = await startGuest(gunyah, program);
    const vcpu = g.vcpus[0]!;
    // The kick comes from the fifth tick of a timer, so the guest is stopped only if
    // the event loop keeps turning while it runs; counting ticks in a fixed window
    // instead made the test depend on how loaded the machine is.
    let ticks = 0;
    const ticker = setInterval(() => {
      if (++ticks === 5) vcpu.immediateExit = true;
    }, 5);
    const started = Date.now();
    const r = await vcpu.run();
    clearInterval(ticker);
    assert.ok(ticks >= 5, "the event loop kept turning while the guest ran");
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "EINTR");
    assert.ok(Date.now() - started < 20_000, "interrupted once the timer asked");
    vcpu.close();
    g.vm.close();
    await g.vm.released;
    g.mem.close();
  }
  gunyah.close();
});
