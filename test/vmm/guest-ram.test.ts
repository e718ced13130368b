import { test } from "node:test";
import assert from "node:assert/strict";
import { guestRam, MAX_GUEST_ACCESS } from "../../src/vmm/guest-ram.js";
import { validateConfig } from "../../src/vmm/config.js";
import { buildMachine } from "../../src/vmm/machine.js";
import type { GuestRam } from "../../src/vmm/guest-ram.js";
import { FakeHypervisor, FakeMemory } from "./fake-host.js";
import { nodeFiles } from "../../src/cli/files.js";

const BASE = 0x4000_0000;

test("device accesses are checked against the RAM window before they reach the host", () => {
  const mem = new FakeMemory(0x10000);
  const ram = guestRam(mem, BASE, 0x10000);
  assert.ok(ram.write(BASE + 0x100, Uint8Array.of(1, 2, 3)).ok);
  assert.deepEqual(ram.read(BASE + 0x100, 3), { ok: true, value: Uint8Array.of(1, 2, 3) });
  assert.deepEqual(ram.read(BASE + 0xfffe, 2).ok, true, "the last bytes");
  const kind = (r: { ok: boolean; error?: { kind: string } }) => (r.ok ? "ok" : r.error?.kind);
  assert.equal(kind(ram.read(BASE + 0xffff, 2)), "out-of-range", "runs past the end");
  assert.equal(kind(ram.read(BASE - 1, 1)), "out-of-range", "below the base");
  assert.equal(kind(ram.read(Number.MAX_SAFE_INTEGER, 2)), "out-of-range", "wraps");
  assert.equal(kind(ram.read(-5, 1)), "out-of-range");
  assert.equal(kind(ram.read(BASE, MAX_GUEST_ACCESS + 1)), "out-of-range", "unbounded length");
  assert.equal(kind(ram.write(BASE + 0x10000, Uint8Array.of(1))), "out-of-range");
  assert.deepEqual(
    ram.read(BASE + 0x20000, 0),
    { ok: true, value: new Uint8Array(0) },
    "empty is fine",
  );
});

async function deviceRamAfterBuild(ramAccess: "lend" | "share"): Promise<GuestRam> {
  const res = await validateConfig({}, nodeFiles);
  assert.ok(res.ok);
  let seen: GuestRam | undefined;
  const built = await buildMachine(
    new FakeHypervisor([]),
    res.value,
    { output: () => {} },
    {
      ramAccess,
      extraDevices: [
        {
          base: 0x0a00_0000,
          spi: 16,
          level: false,
          dtKind: "virtio-mmio",
          create: (_irq, ram) => {
            seen = ram;
            return {
              name: "probe",
              size: 0x200,
              widths: [4],
              read: () => ({ ok: true, value: 0n }),
              write: () => ({ ok: true, value: undefined }),
            };
          },
        },
      ],
    },
  );
  assert.ok(built.ok && seen);
  return seen;
}

test("lent RAM is unreachable for devices (an error, not a throw); shared RAM is reachable", async () => {
  const lent = await deviceRamAfterBuild("lend");
  const r = lent.read(BASE, 4);
  assert.equal(r.ok ? "ok" : r.error.kind, "inaccessible");
  const shared = await deviceRamAfterBuild("share");
  const s = shared.read(BASE, 4);
  assert.ok(s.ok);
  assert.equal(
    new DataView(s.value.buffer).getUint32(0, true),
    0xaa0003f3,
    "the demo's first instruction",
  );
});
