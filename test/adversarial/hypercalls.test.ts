// Attack: hypercalls from the host VM's own port (the HypercallPort bootPlatform hands
// the host), with garbage, wrong-type and stale caps, res0 violations and overflowing,
// unaligned or not-owned ranges, against a running guest whose caps the host really
// holds (spied on through the driver's fault-injection hook). The documented error
// comes back, the accounting is unchanged, and the guest never keeps a page the host
// took back (hardening.md "Hypercalls"; gunyah-abi.md section 1).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Call,
  DonateType,
  HypError,
  hypercallId,
  hypErrorFromX0,
  hypErrorName,
} from "../../src/hyp/abi/index.js";
import type { Platform } from "../../src/platform/index.js";
import { TestHostClient } from "../rm/helpers/host-client.js";
import { RmError, VmMsg } from "../../src/rm/protocol/index.js";
import { A64, mov64 } from "./a64.js";
import { hvcProbe, kitProgram } from "./guest-kit.js";
import {
  GUEST_RAM,
  UART,
  accounting,
  openDevice,
  smallPlatform,
  startGuest,
  teardown,
} from "./harness.js";

const U64 = (1n << 64n) - 1n;

function hvc(platform: Platform, n: number, ...args: bigint[]): string {
  const r = platform.host.vm.hvc.hvc(hypercallId(n), args);
  return hypErrorName(hypErrorFromX0(r[0]));
}

test("every call number from the host with hostile arguments: no throw, nothing changes", async () => {
  const platform = smallPlatform(71);
  const h = platform.host;
  const before = accounting(platform);
  const argSets: bigint[][] = [
    [],
    [0n, 0n, 0n, 0n, 0n, 0n, 0n],
    [U64, U64, U64, U64, U64, U64, U64],
    [h.rmTxCap, 0n, 0n, 0n, 0n, 0n, 0n],
    [h.rmRxCap, h.rmTxCap, 0n, 0n, 0n, 0n, 0n],
    [h.rmTxCap ^ 1n, h.rmRxCap + 1n, 0n, 0n, 0n, 0n, 0n],
    [BigInt(h.ram.base), 0x1000n, BigInt(h.ram.base), 0x1000n, 7n, 0n, 0n],
    [h.rmTxCap, BigInt(h.ram.base), U64, 0x1000n, 0n, 0n, 0n],
  ];
  const succeeded: string[] = [];
  for (let n = 0; n < 0x80; n++) {
    // The queue calls really move RPC traffic: covered by rm-rpc.test.ts.
    if (n === Call.MSGQUEUE_SEND || n === Call.MSGQUEUE_RECEIVE || n === Call.MSGQUEUE_FLUSH)
      continue;
    for (const args of argSets) {
      const x0 = hypErrorFromX0(h.vm.hvc.hvc(hypercallId(n), args)[0]);
      if (x0 === HypError.OK && n !== Call.SCHEDULER_YIELD) succeeded.push(`0x${n.toString(16)}`);
    }
  }
  assert.deepEqual(succeeded, [], "hostile calls that succeeded");
  assert.equal(accounting(platform), before);
  const client = new TestHostClient(h);
  const r = await client.call(VmMsg.VM_GET_VMID, new Uint8Array(0));
  assert.equal(r.error, RmError.OK, "the RM still serves the host");
});

test("the host's real caps to a running guest: documented errors for every misuse", async () => {
  const { gunyah, platform } = await openDevice(72);
  const seen = new Map<string, bigint[][]>();
  gunyah.injectHypercallFaults((name, args) => {
    seen.set(name, [...(seen.get(name) ?? []), [...args]]);
    return undefined;
  });
  const g = await startGuest(
    gunyah,
    kitProgram([...mov64(2, BigInt(GUEST_RAM + 0x4000)), A64.strW(2, 2)]),
  );
  const first = await g.vcpus[0]!.run();
  assert.ok(first.ok);
  const vcpu = seen.get("VCPU_RUN")![0]![0]!;
  const [, from, to, off] = seen.get("MEMEXTENT_DONATE")![0]!;
  const map = seen.get("ADDRSPACE_MAP")![0]!;
  const [as, ext, ipa, attrs, flags, mOff] = map;
  assert.ok(
    from &&
      to &&
      off !== undefined &&
      as &&
      ext &&
      ipa &&
      attrs !== undefined &&
      flags !== undefined &&
      mOff !== undefined,
  );
  const before = accounting(platform);
  const expect: Array<[string, string]> = [
    [hvc(platform, Call.VCPU_RUN, vcpu, 0n, 0n, 0n, 1n), "ARGUMENT_INVALID"],
    [hvc(platform, Call.VCPU_RUN, as, 0n, 0n, 0n, 0n), "CSPACE_WRONG_OBJECT_TYPE"],
    [
      hvc(
        platform,
        Call.MEMEXTENT_DONATE,
        BigInt(DonateType.TO_PROTECTED),
        from,
        to,
        off,
        0x1000n,
        0n,
      ),
      "MEMDB_NOT_OWNER",
    ],
    [
      hvc(
        platform,
        Call.MEMEXTENT_DONATE,
        BigInt(DonateType.TO_PROTECTED),
        from,
        to,
        U64 - 0xfffn,
        0x2000n,
        0n,
      ),
      "ARGUMENT_INVALID",
    ],
    [
      hvc(
        platform,
        Call.MEMEXTENT_DONATE,
        BigInt(DonateType.TO_PROTECTED),
        from,
        to,
        off + 1n,
        0x1000n,
        0n,
      ),
      "ARGUMENT_ALIGNMENT",
    ],
    [
      hvc(
        platform,
        Call.MEMEXTENT_DONATE,
        BigInt(DonateType.TO_PROTECTED),
        from,
        to,
        off + 0x10_0000n,
        0n,
        0n,
      ),
      "ARGUMENT_SIZE",
    ],
    [
      hvc(
        platform,
        Call.MEMEXTENT_DONATE,
        BigInt(DonateType.TO_CHILD),
        from,
        to,
        off + 0x20_0000n,
        0x1000n,
        0n,
      ),
      "ARGUMENT_INVALID",
    ],
    [
      hvc(
        platform,
        Call.MEMEXTENT_DONATE,
        BigInt(DonateType.TO_PROTECTED),
        from,
        to,
        0n,
        1n << 40n,
        0n,
      ),
      "ARGUMENT_INVALID",
    ],
    [
      hvc(platform, Call.ADDRSPACE_MAP, as, ext, ipa, attrs, flags, mOff, 0x1000n),
      "EXISTING_MAPPING",
    ],
    [
      hvc(platform, Call.ADDRSPACE_MAP, as, ext, U64 - 0xfffn, attrs, flags, mOff, 0x2000n),
      "ARGUMENT_SIZE",
    ],
    [
      hvc(
        platform,
        Call.ADDRSPACE_MAP,
        as,
        ext,
        ipa + 0x10_0000n,
        attrs,
        flags,
        mOff + 0x10_0000n,
        0x1000n,
      ),
      "MEMDB_NOT_OWNER",
    ],
    [
      hvc(
        platform,
        Call.ADDRSPACE_MAP,
        as,
        from,
        ipa + 0x10_0000n,
        attrs,
        flags,
        off + 0x10_0000n,
        0x1000n,
      ),
      "CSPACE_INSUFFICIENT_RIGHTS",
    ],
    [hvc(platform, Call.VCPU_POWEROFF, vcpu, 0n, 0n), "ARGUMENT_INVALID"],
  ];
  assert.deepEqual(
    expect.map(([got]) => got),
    expect.map(([, want]) => want),
  );
  assert.equal(accounting(platform), before);
  await teardown(g);
  // Stale caps after teardown decode to nothing.
  assert.equal(hvc(platform, Call.VCPU_RUN, vcpu, 0n, 0n, 0n, 0n), "CSPACE_CAP_NULL");
  assert.equal(
    hvc(
      platform,
      Call.MEMEXTENT_DONATE,
      BigInt(DonateType.TO_PROTECTED),
      from,
      to,
      off,
      0x1000n,
      0n,
    ),
    "CSPACE_CAP_NULL",
  );
  gunyah.injectHypercallFaults(undefined);
  gunyah.close();
});

test("a page donated back without an unmap is gone from the guest at once", async () => {
  const { gunyah, platform } = await openDevice(73);
  const donations: bigint[][] = [];
  gunyah.injectHypercallFaults((name, args) => {
    if (name === "MEMEXTENT_DONATE") donations.push([...args]);
    return undefined;
  });
  const body = [
    ...mov64(4, BigInt(GUEST_RAM + 0x4000)),
    ...mov64(2, 0x5ecn),
    A64.strW(2, 4), // the guest's secret, in a lent page
    A64.strX(2, 1, 0),
    A64.ldrW(3, 4), // after the host took the page back
    A64.strX(3, 1, 0),
  ];
  const g = await startGuest(gunyah, kitProgram(body));
  const vcpu = g.vcpus[0]!;
  assert.ok((await vcpu.run()).ok);
  const [, from, to, off] = donations.at(-1)!;
  assert.ok(from && to && off !== undefined);
  const pa = platform.host.ram.base + Number(off);
  assert.equal(platform.host.vm.memory.read(pa, 4).ok, false, "lent: the host cannot read it");
  // The host (misbehaving) donates the page back while it is still mapped in the guest.
  assert.equal(
    hvc(
      platform,
      Call.MEMEXTENT_DONATE,
      BigInt(DonateType.FROM_PROTECTED),
      to,
      from,
      off,
      0x1000n,
      0n,
    ),
    "OK",
  );
  assert.ok(platform.host.vm.memory.write(pa, Uint8Array.of(0xde, 0xc0, 0xad, 0x0b)).ok);
  // The guest's next access does not see the host's data: the mapping followed ownership.
  const r = await vcpu.run();
  assert.ok(r.ok);
  assert.equal(r.value.reason, "page-fault");
  gunyah.injectHypercallFaults(undefined);
  await teardown(g);
  gunyah.close();
});

test("vgic_set_mpidr_mapping against a running VM, from the host and the guest: refused, MPIDR unchanged", async () => {
  const { gunyah, platform } = await openDevice(74);
  const runs: bigint[] = [];
  gunyah.injectHypercallFaults((name, args) => {
    if (name === "VCPU_RUN") runs.push(args[0]!);
    return undefined;
  });
  const SET = BigInt(hypercallId(Call.VGIC_SET_MPIDR_MAPPING));
  const h = platform.host;
  // The guest tries with no cap, garbage and the host's cap, then reads MPIDR_EL1.
  const body = [
    ...hvcProbe([SET, 0n, 0x7fffn, 0n, 8n, 16n, 24n, 0n]),
    ...hvcProbe([SET, U64, U64, U64, U64, U64, U64, U64]),
    ...hvcProbe([SET, h.rmTxCap, 0xff01n, 8n, 0n, 0n, 0n, 0n]),
    A64.mrs(5, 0, 0, 0, 5),
    A64.strX(5, 1, 0),
  ];
  const g = await startGuest(gunyah, kitProgram(body));
  const reports: bigint[] = [];
  for (let i = 0; i < 20 && reports.length < 4; i++) {
    const r = await g.vcpus[0]!.run();
    assert.ok(r.ok);
    if (r.value.reason !== "mmio") break;
    if (r.value.isWrite && r.value.physAddr === BigInt(UART)) reports.push(r.value.data);
  }
  assert.deepEqual(
    reports.slice(0, 3).map((x) => hypErrorName(hypErrorFromX0(x))),
    // None of these decodes to a cap of the guest's cspace (which holds no vic).
    ["ARGUMENT_INVALID", "ARGUMENT_INVALID", "ARGUMENT_INVALID"],
  );
  assert.equal(reports[3], 0x8000_0000n, "MPIDR_EL1: Aff0 = 0 under the RM's linear mapping");
  // The host, with its real vCPU cap and guesses around it: the vic is not among its caps.
  const before = accounting(platform);
  const vcpu = runs[0]!;
  assert.equal(
    hvc(platform, Call.VGIC_SET_MPIDR_MAPPING, vcpu, 0xff01n, 8n, 0n, 0n, 0n, 0n),
    "CSPACE_WRONG_OBJECT_TYPE",
  );
  const accepted: bigint[] = [];
  for (let k = 1n; k < 256n; k++) {
    const guess = vcpu ^ k;
    if (hvc(platform, Call.VGIC_SET_MPIDR_MAPPING, guess, 0xff01n, 8n, 0n, 0n, 0n, 0n) === "OK")
      accepted.push(guess);
  }
  assert.deepEqual(accepted, []);
  assert.equal(accounting(platform), before);
  gunyah.injectHypercallFaults(undefined);
  await teardown(g);
  gunyah.close();
});
