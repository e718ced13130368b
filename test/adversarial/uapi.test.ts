// Attack: the host UAPI driven the way a buggy or hostile VMM would (hardening.md trust
// zones: the VMM is below the host VM manager). Overlapping and unaligned mappings,
// offsets past the end, boot context after start, oversized or unknown functions,
// closing twice, running closed vCPUs, scribbling over the shared run structure and
// the fault ring. Each gets a clear error (no exception), and the host keeps serving.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { A64, mov64 } from "./a64.js";
import { kitProgram, DONE } from "./guest-kit.js";
import {
  bootReg,
  EventFd,
  FaultRingConsumer,
  MapFlag,
  type GunyahDevice,
  type HostResult,
} from "../../src/host/index.js";
import {
  retryPageFault,
  GUEST_RAM,
  MiB,
  accounting,
  openDevice,
  startGuest,
  teardown,
} from "./harness.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 25);

function code(r: HostResult<unknown>): string {
  return r.ok ? "OK" : r.error.code;
}

test("mapMem: overlaps, misalignment, past-the-end and wrapping ranges are refused", async () => {
  const { gunyah } = await openDevice(41);
  const mem = gunyah.createGuestMem({ size: 2 * MiB });
  const vmr = gunyah.createVm();
  assert.ok(mem.ok && vmr.ok);
  const vm = vmr.value;
  const m = mem.value;
  const map = (
    guestAddr: number | bigint,
    offset: number | bigint,
    size: number | bigint,
    flags: number = MapFlag.ALLOW_RWX,
  ) => code(vm.mapMem({ guestAddr, flags, guestMem: m, offset, size }));
  assert.equal(map(GUEST_RAM, 0, MiB), "OK");
  assert.equal(map(GUEST_RAM + 0x1000, MiB, 0x1000), "EEXIST", "guest range overlap");
  assert.equal(map(GUEST_RAM + 2 * MiB, 0x1000, 0x1000), "EEXIST", "guest-memory offset overlap");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB + 1, 0x1000), "EINVAL", "unaligned offset");
  assert.equal(map(GUEST_RAM + 2 * MiB + 1, MiB, 0x1000), "EINVAL", "unaligned address");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB, 0x1001), "EINVAL", "size not a page multiple");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB, 0), "EINVAL", "empty");
  assert.equal(map(GUEST_RAM + 2 * MiB, 2 * MiB, 0x1000), "EINVAL", "offset at the end");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB, 2 * MiB), "EINVAL", "runs past the end");
  assert.equal(map((1n << 64n) - 0x1000n, MiB, 0x2000), "EOVERFLOW", "wraps");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB, 0x1000, 0x70 | 0x8000), "EINVAL", "unknown flag");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB, 0x1000, 0), "EINVAL", "no access at all");
  assert.equal(map(GUEST_RAM + 2 * MiB, MiB, 0x1000, 0x73), "EINVAL", "unknown access mode");
  assert.equal(map(GUEST_RAM + 0x2000, 0x2000, 0x1000, 0x170), "EINVAL", "unmap punching a hole");
  assert.equal(map(GUEST_RAM + 0x2000, 0x3000, 0x1000, 0x170), "ENOENT", "unmap at another offset");
  assert.equal(map(GUEST_RAM + 4 * MiB, 0, 0x1000, 0x170), "ENOENT", "unmap of nothing");
  vm.close();
  await vm.released;
  m.close();
  gunyah.close();
});

test("functions: oversized, unknown and never-added; boot context after start; closing twice", async () => {
  const { gunyah, platform } = await openDevice(42);
  const before = accounting(platform);
  const g = await startGuest(gunyah, kitProgram([]));
  const vm = g.vm;
  assert.equal(code(vm.addFunction({ type: 1, arg: new Uint8Array(257) })), "EINVAL");
  assert.equal(code(vm.addFunction({ type: 77, arg: new Uint8Array(8) })), "ENOENT");
  assert.equal(code(vm.removeFunction({ type: "vcpu", id: 5 })), "ENOENT");
  assert.equal(
    code(vm.removeFunction({ type: "ioeventfd", eventfd: new EventFd(), addr: 0x1000n, len: 4 })),
    "ENOENT",
  );
  assert.equal(code(vm.setBootContext({ reg: bootReg("pc"), value: 0n })), "EINVAL", "after start");
  assert.equal(code(vm.setBootContext({ reg: 0x300, value: 0n })), "EINVAL", "unknown set");
  assert.equal(code(vm.addFunction({ type: "vcpu", id: 0 })), "EEXIST", "vCPU 0 twice");
  // Run to DONE, then close everything twice and run closed handles.
  const vcpu = g.vcpus[0]!;
  const r = await vcpu.run();
  assert.ok(r.ok && r.value.reason === "mmio" && r.value.physAddr === BigInt(DONE));
  vcpu.close();
  vcpu.close();
  const closedRun = await vcpu.run();
  assert.equal(closedRun.ok, false, "run() on a closed vCPU");
  vm.close();
  vm.close();
  assert.equal(
    code(vm.mapMem({ guestAddr: GUEST_RAM, flags: 0x70, guestMem: g.mem, offset: 0, size: 4096 })),
    "EBADF",
  );
  await vm.released;
  g.mem.close();
  g.mem.close();
  assert.equal(g.mem.read(0, 4).ok, false, "closed guest memory");
  assert.equal(accounting(platform), before);
  // The device still serves.
  const again = await startGuest(gunyah, kitProgram([]));
  const r2 = await again.vcpus[0]!.run();
  assert.ok(r2.ok);
  await teardown(again);
  gunyah.close();
  gunyah.close();
});

/** A guest that loops: MMIO read of the UART, MMIO write of what it read. */
const ECHO_LOOP = [
  ...mov64(2, 0x0900_0018n),
  A64.ldrW(3, 2),
  A64.strX(3, 1, 0),
  0x17fff_ffe, // b . - 8 (back to the ldr)
].map((w) => w >>> 0);

test("a VMM that scribbles on the run structure gets errors at worst; the host keeps serving", async () => {
  const { gunyah } = await openDevice(43);
  const g = await startGuest(gunyah, kitProgram(ECHO_LOOP));
  const vcpu = g.vcpus[0]!;
  const run = new Uint8Array(vcpu.runStructure);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(run.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 64,
      }),
      fc.boolean(),
      async (edits, fill) => {
        if (fill) run.fill(0xff);
        for (const [at, v] of edits) run[at] = v;
        const r = await vcpu.run();
        if (!r.ok)
          assert.ok(
            ["EINVAL", "EFAULT", "EIO", "EAGAIN", "EINTR"].includes(r.error.code),
            r.error.code,
          );
        else assert.ok(["mmio", "status", "page-fault", "unknown"].includes(r.value.reason));
      },
    ),
    { numRuns: RUNS, seed: 0x5c81 },
  );
  run.fill(0);
  // After the scribbling a sane run still works.
  const ok = await vcpu.run();
  assert.ok(ok.ok, ok.ok ? "" : ok.error.message);
  await teardown(g);
  gunyah.close();
});

test("a hostile fault-ring consumer loses reports but never breaks the producer", async () => {
  const { gunyah } = await openDevice(44);
  const g = await startGuest(
    gunyah,
    kitProgram([...mov64(2, BigInt(GUEST_RAM + MiB + 0x4000)), A64.ldrW(3, 2)]),
    {
      mainSize: MiB,
    },
  );
  const ring = g.vm.faultRing;
  const header = new Int32Array(ring, 0, 4);
  for (const consumer of [0x7fff_ffff, -1, 12345, 0]) {
    Atomics.store(header, 2, consumer);
    retryPageFault(g.vcpus[0]!.runStructure);
    const r = await g.vcpus[0]!.run();
    assert.ok(r.ok, r.ok ? "" : r.error.message);
    assert.equal(r.value.reason, "page-fault");
  }
  Atomics.store(header, 0, 3); // a size that is not a power of two
  assert.throws(
    () => new FaultRingConsumer(ring),
    RangeError,
    "the consumer refuses a corrupt header",
  );
  await teardown(g);
  gunyah.close();
});

export type { GunyahDevice };
