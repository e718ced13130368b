// Attack: a hostile guest on the real CPU (hand-encoded, see guest-kit.ts) pokes the
// virtual GIC with bad widths and offsets, sends SGIs to CPUs that do not exist, calls
// PSCI and hypercalls with garbage (and with cap IDs from the host's cspace), does LDP
// and exclusive accesses to MMIO (no valid ISS), and reaches past the IPA space. The
// guest must get an error code or an abort it can handle, the host must keep running
// it, and after teardown the hypervisor's accounting is back where it was and another
// VM runs (hardening.md: "A guest can make its own VM fail; it must never crash the
// VMM, reach memory it was not given, or make another VM lose data").
import { test } from "node:test";
import assert from "node:assert/strict";
import { Call, hypercallId } from "../../src/hyp/abi/index.js";
import type { Vcpu } from "../../src/host/index.js";
import { A64, mov64 } from "./a64.js";
import { DONE, FAULT_REPORT, REPORT, hvcProbe, kitProgram } from "./guest-kit.js";
import {
  retryPageFault,
  GICD,
  GICR,
  GUEST_RAM,
  MiB,
  UART,
  accounting,
  openDevice,
  startGuest,
  teardown,
} from "./harness.js";

type Event =
  | { kind: "report"; value: bigint }
  | { kind: "fault"; esr: bigint }
  | { kind: "mmio-read"; addr: bigint };

/** Runs the kit guest to its DONE marker; returns what it reported. */
async function collect(vcpu: Vcpu, limit = 80): Promise<Event[]> {
  const out: Event[] = [];
  for (let i = 0; i < limit; i++) {
    const r = await vcpu.run();
    assert.ok(r.ok, r.ok ? "" : r.error.message);
    const v = r.value;
    assert.equal(v.reason, "mmio", `exit ${i}: ${v.reason}`);
    if (v.reason !== "mmio") break;
    if (!v.isWrite) out.push({ kind: "mmio-read", addr: v.physAddr });
    else if (v.physAddr === BigInt(DONE)) return out;
    else if (v.physAddr === BigInt(FAULT_REPORT)) out.push({ kind: "fault", esr: v.data });
    else if (v.physAddr === BigInt(REPORT)) out.push({ kind: "report", value: v.data });
    else assert.fail(`unexpected MMIO write at 0x${v.physAddr.toString(16)}`);
  }
  assert.fail("the guest never reached its DONE marker");
}

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const report = (e: Event | undefined) => {
  assert.equal(e?.kind, "report");
  return e.kind === "report" ? s64(e.value) : 0n;
};

test("GIC frames with bad widths and offsets, SGIs to nobody: the guest carries on", async () => {
  const { gunyah, platform } = await openDevice(31);
  const baseline = accounting(platform);
  const sgi = (v: bigint) => [...mov64(5, v), A64.msr(0, 12, 11, 5, 5)]; // ICC_SGI1R_EL1
  const body = [
    ...mov64(2, BigInt(GICD)),
    A64.ldrB(3, 2, 1),
    A64.strX(3, 1, 0), // byte read of GICD_CTLR
    A64.ldrX(3, 2, 0),
    A64.strX(3, 1, 0), // 64-bit read of a 32-bit register
    A64.strX(3, 2, 8),
    A64.strX(3, 1, 0), // 64-bit write to GICD_IIDR (read-only)
    ...mov64(2, BigInt(GICD + 0xfffc)),
    A64.ldrW(3, 2),
    A64.strX(3, 1, 0), // undefined offset
    ...mov64(2, BigInt(GICD + 0xfffc)),
    A64.strW(3, 2),
    A64.strX(3, 1, 0),
    ...sgi((1n << 40n) | (15n << 24n)), // IRM: to all others (there are none)
    ...sgi(0xffffn | (0xffn << 16n) | (0xffn << 32n) | (0xffn << 48n)), // affinity nobody has
    ...mov64(2, BigInt(GICR + 0x20000 * 7)),
    A64.ldrW(3, 2),
    A64.strX(3, 1, 0), // vCPU 7's frame
  ];
  const g = await startGuest(gunyah, kitProgram(body));
  const events = await collect(g.vcpus[0]!);
  // Five GIC probes read or write as RAZ/WI or fault into the guest; never a host exit.
  const gicEvents = events.slice(
    0,
    events.findIndex((e) => e.kind === "mmio-read"),
  );
  assert.equal(gicEvents.filter((e) => e.kind === "report").length, 5);
  // A redistributor frame of a vCPU this VM does not have is not the hypervisor's: VMMIO.
  assert.deepEqual(events.slice(-2), [
    { kind: "mmio-read", addr: BigInt(GICR + 0x20000 * 7) },
    { kind: "report", value: 0n },
  ]);
  await teardown(g);
  g.mem.close();
  assert.equal(accounting(platform), baseline);
  gunyah.close();
});

test("PSCI and hypercalls with garbage: error codes, and the host's caps mean nothing here", async () => {
  const { gunyah, platform } = await openDevice(32);
  const host = platform.host;
  const CPU_ON = 0xc400_0003n;
  const body = [
    ...hvcProbe([CPU_ON, 0xffn, BigInt(GUEST_RAM), 0n]), // no such MPIDR
    ...hvcProbe([CPU_ON, 0n, BigInt(GUEST_RAM), 0n]), // itself: already on
    ...hvcProbe([CPU_ON, 1n, 3n, 0n]),
    ...hvcProbe([CPU_ON, (1n << 64n) - 1n, (1n << 64n) - 16n, 0n]),
    ...hvcProbe([BigInt(hypercallId(Call.MSGQUEUE_SEND)), 0x1234n, 8n, BigInt(GUEST_RAM), 1n, 0n]),
    ...hvcProbe([
      BigInt(hypercallId(Call.MSGQUEUE_SEND)),
      host.rmTxCap,
      8n,
      BigInt(GUEST_RAM),
      1n,
      0n,
    ]),
    ...hvcProbe([
      BigInt(hypercallId(Call.MSGQUEUE_RECEIVE)),
      host.rmRxCap,
      BigInt(GUEST_RAM),
      240n,
      0n,
    ]),
    ...hvcProbe([BigInt(hypercallId(Call.VCPU_RUN)), host.rmTxCap, 0n, 0n, 0n]),
    ...hvcProbe([BigInt(hypercallId(Call.PARTITION_CREATE_DOORBELL)), host.rmTxCap, host.rmRxCap]),
    ...hvcProbe([0xffff_ffffn]), // not an SMCCC function
    ...hvcProbe([0x8400_0000n]), // PSCI_VERSION still answers afterwards
  ];
  const g = await startGuest(gunyah, kitProgram(body));
  const events = await collect(g.vcpus[0]!);
  assert.equal(
    events.length,
    11,
    JSON.stringify(events, (_, v) => (typeof v === "bigint" ? v.toString(16) : v)),
  );
  const PSCI_INVALID_PARAMETERS = -2n;
  const PSCI_ALREADY_ON = -4n;
  assert.equal(report(events[0]), PSCI_INVALID_PARAMETERS);
  assert.equal(report(events[1]), PSCI_ALREADY_ON);
  // MPIDR 1 is well formed under the RM's linear mapping but names no vCPU of this
  // one-vCPU VM: INTERNAL_FAILURE, as Gunyah's psci_cpu_on answers (psci_common.c).
  const PSCI_INTERNAL_FAILURE = -6n;
  assert.equal(report(events[2]), PSCI_INTERNAL_FAILURE);
  assert.equal(report(events[3]), PSCI_INVALID_PARAMETERS);
  for (let i = 4; i < 9; i++)
    assert.notEqual(report(events[i]), 0n, `hypercall probe ${i} must fail`);
  assert.equal(report(events[9]), -1n);
  assert.equal(report(events[10]), 0x10001n);
  await teardown(g);
  gunyah.close();
});

test("LDP and exclusives to MMIO, and addresses past the IPA space, abort into the guest only", async () => {
  const { gunyah, platform } = await openDevice(33);
  const baseline = accounting(platform);
  const body = [
    A64.ldpX(3, 4, 1),
    A64.strX(3, 1, 0), // LDP from the UART: no valid syndrome
    A64.ldxrW(3, 1),
    A64.strX(3, 1, 0), // exclusive load from MMIO
    ...mov64(2, 1n << 48n),
    A64.ldrW(3, 2),
    A64.strX(3, 1, 0), // beyond the IPA size
    ...mov64(2, BigInt(GUEST_RAM)),
    A64.ldrW(3, 2),
    A64.strX(3, 1, 0), // its own RAM still works
  ];
  const g = await startGuest(gunyah, kitProgram(body));
  const events = await collect(g.vcpus[0]!);
  const SYNC_EXTERNAL_ABORT = 0x9600_0010n; // EC 0x25, IL, DFSC 0x10
  const ADDRESS_SIZE_L0 = 0x9600_0000n;
  assert.deepEqual(
    events.map((e) => (e.kind === "fault" ? `fault ${e.esr.toString(16)}` : e.kind)),
    [
      `fault ${SYNC_EXTERNAL_ABORT.toString(16)}`,
      "report",
      `fault ${SYNC_EXTERNAL_ABORT.toString(16)}`,
      "report",
      `fault ${ADDRESS_SIZE_L0.toString(16)}`,
      "report",
      "report",
    ],
  );
  // The last load read the guest's own first instruction (MOVZ x1, ...).
  assert.equal(report(events[6]) & 0xffff_ffffn, BigInt(A64.movz(1, UART & 0xffff)));
  await teardown(g);
  g.mem.close();
  assert.equal(accounting(platform), baseline);
  // The system keeps serving: a second VM starts and runs.
  const again = await startGuest(gunyah, kitProgram([]));
  assert.deepEqual(await collect(again.vcpus[0]!), []);
  await teardown(again);
  gunyah.close();
});

test("an access to guest-physical memory the VMM never bound gives no data, only page-fault exits", async () => {
  const { gunyah } = await openDevice(34);
  const body = [...mov64(2, BigInt(GUEST_RAM + MiB + 0x8000)), A64.ldrW(3, 2), A64.strX(3, 1, 0)];
  const g = await startGuest(gunyah, kitProgram(body), { mainSize: MiB });
  for (let i = 0; i < 3; i++) {
    retryPageFault(g.vcpus[0]!.runStructure);
    const r = await g.vcpus[0]!.run();
    assert.ok(r.ok);
    assert.equal(r.value.reason, "page-fault");
    if (r.value.reason === "page-fault")
      assert.equal(r.value.physAddr, BigInt(GUEST_RAM + MiB + 0x8000));
  }
  await teardown(g);
  gunyah.close();
});

test("stage-1 page tables in MMIO: the walk never reaches the VMM; only this VM fails", async () => {
  const { gunyah, platform } = await openDevice(35);
  const before = accounting(platform);
  const TCR = 16n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 23n) | (5n << 32n);
  const mmuOnWithTablesAt = (ttbr: number) => [
    ...mov64(9, 0xffn),
    A64.msr(0, 10, 2, 0, 9), // MAIR_EL1: attr0 normal write-back
    ...mov64(9, TCR),
    A64.msr(0, 2, 0, 2, 9), // TCR_EL1: 48-bit VA, 4K, TTBR1 walks off
    ...mov64(9, BigInt(ttbr)),
    A64.msr(0, 2, 0, 0, 9), // TTBR0_EL1 -> an MMIO address
    0xd503_3fdf,
    A64.mrs(9, 0, 1, 0, 0),
    0xb240_0129, // orr x9, x9, #1
    A64.msr(0, 1, 0, 0, 9), // SCTLR_EL1.M = 1: the next fetch walks the "tables"
    0xd503_3fdf,
    A64.nop(),
  ];
  for (const ttbr of [UART, GICD]) {
    const g = await startGuest(gunyah, kitProgram(mmuOnWithTablesAt(ttbr)));
    const r = await g.vcpus[0]!.run();
    assert.ok(r.ok);
    // No MMIO exit for a table walk: the VM is reported crashed (the guest cannot even
    // fetch its own exception vector any more).
    assert.equal(
      r.value.reason,
      "status",
      JSON.stringify(r.value, (_, v) => (typeof v === "bigint" ? v.toString(16) : v)),
    );
    await teardown(g);
    g.mem.close();
  }
  assert.equal(accounting(platform), before);
  gunyah.close();
});

test("branching into MMIO gives the guest an instruction abort, not an MMIO exit", async () => {
  const { gunyah } = await openDevice(36);
  const BLR_X2 = 0xd63f_0040;
  for (const target of [UART, 0x1000, GICD]) {
    const g = await startGuest(gunyah, kitProgram([...mov64(2, BigInt(target)), BLR_X2], "lr"));
    const events = await collect(g.vcpus[0]!);
    const IABT_SYNC_EXTERNAL = 0x8600_0010n; // EC 0x21 (same EL), IL, IFSC 0x10
    assert.deepEqual(
      events,
      [{ kind: "fault", esr: IABT_SYNC_EXTERNAL }],
      `fetch from 0x${target.toString(16)}`,
    );
    await teardown(g);
    g.mem.close();
  }
  gunyah.close();
});
