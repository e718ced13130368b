// Every error path of start, against the real RM and hypervisor: inject a failure at
// each RM call, tear the VM down, and check that the hypervisor's objects, caps and
// page ownership are exactly what they were before the VM was created.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createCpu } from "../../src/arch/arm64/index.js";
import { setLogSink } from "../../src/lib/log.js";
import { bootPlatform, type Platform } from "../../src/platform/index.js";
import { bootReg, EventFd, MapFlag, openGunyah, type GunyahDevice } from "../../src/host/index.js";
import { configDtb, DTB_OFFSET, GUEST_RAM, programBytes, RAM_SIZE } from "./guest.js";

setLogSink(() => {});

function snapshot(platform: Platform): string {
  const s = platform.hypervisor.stats();
  return JSON.stringify({ objects: s.objects, caps: s.caps, pages: s.pages, owners: s.owners });
}

async function bringUp(gunyah: GunyahDevice) {
  const mem = gunyah.createGuestMem({ size: RAM_SIZE });
  if (!mem.ok) throw mem.error;
  mem.value.write(0, programBytes());
  const dtb = configDtb([{ label: 0, spi: 20 }]);
  mem.value.write(DTB_OFFSET, dtb);
  const vm = gunyah.createVm();
  if (!vm.ok) throw vm.error;
  const v = vm.value;
  const mapped = v.mapMem({
    guestAddr: GUEST_RAM,
    flags: MapFlag.ALLOW_RWX,
    guestMem: mem.value,
    offset: 0,
    size: RAM_SIZE,
  });
  if (!mapped.ok) throw mapped.error;
  v.setDtbConfig({ guestPhysAddr: GUEST_RAM + DTB_OFFSET, size: dtb.length });
  v.setBootContext({ reg: bootReg("pc"), value: BigInt(GUEST_RAM) });
  v.setBootContext({ reg: bootReg("x", 0), value: BigInt(GUEST_RAM + DTB_OFFSET) });
  const vcpu = v.addFunction({ type: "vcpu", id: 0 });
  if (!vcpu.ok) throw vcpu.error;
  const efd = new EventFd();
  const irq = v.addFunction({ type: "irqfd", eventfd: efd, label: 0 });
  if (!irq.ok) throw irq.error;
  return { mem: mem.value, vm: v, vcpu: vcpu.value, efd };
}

test("e2e cleanup: a failure at each RM call of start leaks nothing in the hypervisor", async () => {
  const platform = bootPlatform({
    ramSize: 64 << 20,
    rmRamSize: 4 << 20,
    seed: 3,
    cpuFactory: createCpu,
  });
  const dev = await openGunyah({ platform, vm: { statusTimeoutMs: 2000 } });
  assert.ok(dev.ok);
  const gunyah = dev.value;
  const baseline = snapshot(platform);
  const free = gunyah.availableMemory;

  // A full run first: the guest runs to PSCI SYSTEM_OFF, irqfd rings a real doorbell.
  {
    const { mem, vm, vcpu, efd } = await bringUp(gunyah);
    const started = await vm.start();
    assert.ok(started.ok, started.ok ? "" : started.error.message);
    assert.ok(efd.signal(1).ok);
    assert.equal(efd.value, 0n, "the irqfd consumed the event into a doorbell_send");
    for (let i = 0; i < 3; i++) {
      const r = await vcpu.run();
      assert.ok(r.ok, r.ok ? "" : r.error.message);
    }
    assert.equal(vcpu.exit.reason, "status");
    vcpu.close();
    vm.close();
    await vm.released;
    mem.close();
    assert.equal(snapshot(platform), baseline, "after a full run");
    assert.equal(gunyah.availableMemory, free);
  }

  for (let failAt = 0; failAt < 10; failAt++) {
    const { mem, vm, vcpu } = await bringUp(gunyah);
    let n = 0;
    gunyah.injectRmFaults(() => (n++ === failAt ? 2 /* NORESOURCE */ : undefined));
    const r = await vm.start();
    gunyah.injectRmFaults(undefined);
    assert.ok(!r.ok, `start must fail at call ${failAt}`);
    assert.equal(r.error.code, "ENODEV");
    vcpu.close();
    vm.close();
    await vm.released;
    mem.close();
    assert.equal(snapshot(platform), baseline, `after a failure at RM call ${failAt}`);
    assert.equal(gunyah.availableMemory, free, `host memory after a failure at RM call ${failAt}`);
  }
  gunyah.close();
});

test("e2e cleanup: injected hypercall failures in demand paging become PAGE_FAULT exits, nothing leaks", async () => {
  const platform = bootPlatform({
    ramSize: 64 << 20,
    rmRamSize: 4 << 20,
    seed: 4,
    cpuFactory: createCpu,
  });
  const dev = await openGunyah({ platform, vm: { statusTimeoutMs: 2000 } });
  assert.ok(dev.ok);
  const gunyah = dev.value;
  const baseline = snapshot(platform);
  for (const call of ["MEMEXTENT_DONATE", "ADDRSPACE_MAP"] as const) {
    const { mem, vm, vcpu } = await bringUp(gunyah);
    assert.ok((await vm.start()).ok);
    gunyah.injectHypercallFaults((name) => (name === call ? 10 /* NOMEM */ : undefined));
    const r = await vcpu.run();
    gunyah.injectHypercallFaults(undefined);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { reason: "page-fault", physAddr: BigInt(GUEST_RAM), attempt: -12 });
    vcpu.close();
    vm.close();
    await vm.released;
    mem.close();
    assert.equal(snapshot(platform), baseline, `after failing ${call}`);
  }
  gunyah.close();
});

test("e2e cleanup: a failed msgqueue_send fails that RM call; a failed receive is retried", async () => {
  const platform = bootPlatform({
    ramSize: 64 << 20,
    rmRamSize: 4 << 20,
    seed: 5,
    cpuFactory: createCpu,
  });
  const dev = await openGunyah({ platform, vm: { statusTimeoutMs: 2000 } });
  assert.ok(dev.ok);
  const gunyah = dev.value;
  const baseline = snapshot(platform);
  // Each of the 10 requests of the start sequence fits in one packet.
  for (let failAt = 0; failAt < 10; failAt++) {
    const { mem, vm, vcpu } = await bringUp(gunyah);
    let n = 0;
    gunyah.injectHypercallFaults((name) =>
      name === "MSGQUEUE_SEND" && n++ === failAt ? 31 /* BUSY */ : undefined,
    );
    const r = await vm.start();
    gunyah.injectHypercallFaults(undefined);
    assert.ok(!r.ok, `start must fail when send ${failAt} fails`);
    assert.equal(r.error.code, "EBUSY");
    vcpu.close();
    vm.close();
    await vm.released;
    mem.close();
    assert.equal(snapshot(platform), baseline, `after failing send ${failAt}`);
  }
  // A receive failure is logged; the poll reads the reply on a later turn.
  const { mem, vm, vcpu } = await bringUp(gunyah);
  let failed = 0;
  gunyah.injectHypercallFaults((name) =>
    name === "MSGQUEUE_RECEIVE" && failed++ < 3 ? 30 : undefined,
  );
  const r = await vm.start();
  gunyah.injectHypercallFaults(undefined);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.ok(failed >= 3);
  vcpu.close();
  vm.close();
  await vm.released;
  mem.close();
  assert.equal(snapshot(platform), baseline);
  gunyah.close();
});

test("e2e cleanup: each kind of hypercall the host makes, failed once, is survived", async () => {
  const platform = bootPlatform({
    ramSize: 64 << 20,
    rmRamSize: 4 << 20,
    seed: 6,
    cpuFactory: createCpu,
  });
  const dev = await openGunyah({ platform, vm: { statusTimeoutMs: 2000 } });
  assert.ok(dev.ok);
  const gunyah = dev.value;
  const baseline = snapshot(platform);

  async function session(): Promise<string> {
    const { mem, vm, vcpu, efd } = await bringUp(gunyah);
    const started = await vm.start();
    if (started.ok) {
      efd.signal(1);
      for (let i = 0; i < 4 && vcpu.exit.reason !== "status"; i++) {
        const r = await vcpu.run();
        if (!r.ok || r.value.reason === "page-fault") break;
      }
    }
    vcpu.close();
    vm.close();
    await vm.released;
    mem.close();
    return started.ok ? vcpu.exit.reason : `start: ${started.error.code}`;
  }

  const used = new Set<string>();
  gunyah.injectHypercallFaults((name) => void used.add(name));
  assert.equal(await session(), "status");
  gunyah.injectHypercallFaults(undefined);
  assert.equal(snapshot(platform), baseline);
  for (const name of [
    "MSGQUEUE_SEND",
    "MSGQUEUE_RECEIVE",
    "VCPU_RUN",
    "MEMEXTENT_DONATE",
    "ADDRSPACE_MAP",
    "DOORBELL_SEND",
  ]) {
    assert.ok(used.has(name), `${name} is used by a normal session`);
  }

  // Reclaim failures leave pages with the guest on purpose (never reused), so the
  // snapshot is compared only when the failed call is not part of giving pages back.
  const reclaimPath = new Set(["ADDRSPACE_UNMAP"]);
  for (const name of used) {
    let failed = false;
    gunyah.injectHypercallFaults((n) => {
      if (n !== name || failed) return undefined;
      failed = true;
      return 31; // BUSY
    });
    const outcome = await session();
    gunyah.injectHypercallFaults(undefined);
    assert.ok(failed, `${name} was reached`);
    assert.ok(typeof outcome === "string");
    if (!reclaimPath.has(name)) {
      assert.equal(snapshot(platform), baseline, `after one failed ${name} (${outcome})`);
    }
  }
  gunyah.close();
});

test("e2e: opening /dev/gunyah twice on one host shares the driver and its RM connection", async () => {
  const platform = bootPlatform({
    ramSize: 64 << 20,
    rmRamSize: 4 << 20,
    seed: 8,
    cpuFactory: createCpu,
  });
  const a = await openGunyah({ platform });
  const b = await openGunyah({ platform });
  assert.ok(a.ok && b.ok);
  const free = a.value.availableMemory;
  const m = b.value.createGuestMem({ size: 1 << 20 });
  assert.ok(m.ok);
  assert.equal(a.value.availableMemory, free - (1 << 20), "one allocator");
  m.value.close();
  a.value.close();
  // b still works after a closed: the RM client is shared and still open.
  const { mem, vm, vcpu } = await bringUp(b.value);
  const started = await vm.start();
  assert.ok(started.ok, started.ok ? "" : started.error.message);
  vcpu.close();
  vm.close();
  await vm.released;
  mem.close();
  b.value.close();
  const c = await openGunyah({ platform });
  assert.ok(c.ok, "a fresh driver after everything closed");
  const v = c.value.createVm();
  assert.ok(v.ok);
  v.value.close();
  await v.value.released;
  c.value.close();
});
