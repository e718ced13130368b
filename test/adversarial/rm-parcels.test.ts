// Attack: random sequences of memory-parcel calls from the host (lend, share, donate,
// append, reclaim, release, notify, accept) with hostile SGLs (overlapping, unaligned,
// outside host RAM, wrapping) and ACLs (unknown VMs, the RM, the host itself), against
// one READY guest. Whatever the sequence: the RM answers every call, never hands the
// host a page it lent away, and after the host reclaims what it can and destroys the
// guest, every page of the window is the host's again and nothing leaks
// (hardening.md "Resource Manager RPC": parcel state errors, SGLs, ACLs).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MemHandleReply,
  MemMsg,
  RmError,
  concatBytes,
  encodeList,
  SglEntry,
  MemAppendHeader,
  MemNotifyHeader,
} from "../../src/rm/protocol/index.js";
import { TestHostClient } from "../rm/helpers/host-client.js";
import { createVm, memCreateReq, handleReq, statusIs, vmidReq } from "../rm/helpers/requests.js";
import { VmMsg, VmStatus } from "../../src/rm/protocol/index.js";
import { smallPlatform } from "./harness.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 12);
let created = 0;
const PAGE = 4096;

type Op =
  | {
      kind: "create";
      id: number;
      sgl: { page: number; pages: number; skew: number }[];
      acl: number[];
      flags: number;
    }
  | { kind: "append"; h: number; page: number; flags: number }
  | { kind: "reclaim" | "release"; h: number; flags: number }
  | { kind: "notify"; h: number; flags: number }
  | { kind: "accept"; h: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("create" as const),
    id: fc.constantFrom(MemMsg.MEM_LEND, MemMsg.MEM_SHARE, MemMsg.MEM_DONATE),
    sgl: fc.array(
      fc.record({
        page: fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 15 }), weight: 6 },
          fc.integer({ min: -2, max: 17 }),
        ),
        pages: fc.oneof(
          { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 6 },
          fc.constantFrom(0, 3),
        ),
        skew: fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, fc.constantFrom(1, 0x800)),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    acl: fc.oneof(
      { arbitrary: fc.constant<number[]>([-1]), weight: 5 },
      fc.array(fc.constantFrom(-1, 3, 0xff, 0, 0x7f, 0xffff), { minLength: 0, maxLength: 3 }),
    ),
    flags: fc.oneof(
      { arbitrary: fc.constant(0), weight: 4 },
      fc.constantFrom(0x20, 0x02, 0x80, 0xff),
    ),
  }),
  fc.record({
    kind: fc.constant("append" as const),
    h: fc.integer({ min: 0, max: 8 }),
    page: fc.integer({ min: 0, max: 17 }),
    flags: fc.constantFrom(0, 1, 0xfe),
  }),
  fc.record({
    kind: fc.constantFrom("reclaim" as const, "release" as const),
    h: fc.integer({ min: 0, max: 8 }),
    flags: fc.constantFrom(0, 1, 2),
  }),
  fc.record({
    kind: fc.constant("notify" as const),
    h: fc.integer({ min: 0, max: 8 }),
    flags: fc.constantFrom(1, 2, 4, 8, 3),
  }),
  fc.record({ kind: fc.constant("accept" as const), h: fc.integer({ min: 0, max: 8 }) }),
);

test("random parcel call sequences from the host: always answered, nothing lost or leaked", async () => {
  const platform = smallPlatform(21);
  const client = new TestHostClient(platform.host);
  const host = platform.host;
  const window = host.ram.base + 0x200_0000; // 16 pages of host RAM under attack
  const dtbPa = host.ram.base + 0x100_0000;
  const baseline = JSON.stringify(platform.hypervisor.stats().pages);
  const baseCaps = platform.hypervisor.stats().caps;

  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
      const vm = await createVm(client, { dtbPa });
      const handles: number[] = [vm.dtbHandle];
      const pick = (i: number) => handles[i % Math.max(1, handles.length)] ?? i;
      for (const op of ops) {
        let r;
        switch (op.kind) {
          case "create": {
            const acl = op.acl.map((v) => ({ vmid: v === -1 ? vm.vmid : v, rights: 7 }));
            const sgl = op.sgl.map((e) => ({
              ipa: window + e.page * PAGE + e.skew,
              size: e.pages * PAGE,
            }));
            r = await client.call(op.id, memCreateReq({ acl, sgl, flags: op.flags }));
            if (r.error === RmError.OK) {
              const h = MemHandleReply.decode(r.data);
              assert.ok(h, "a successful create returns a handle");
              handles.push(h.handle);
              created++;
              // Lent and donated pages leave the host at once; shared ones stay.
              for (const e of sgl) {
                for (let at = e.ipa; at < e.ipa + e.size; at += PAGE) {
                  const seen = host.vm.memory.read(at, 1).ok;
                  assert.equal(
                    seen,
                    op.id === MemMsg.MEM_SHARE,
                    `host access to 0x${at.toString(16)}`,
                  );
                }
              }
            }
            break;
          }
          case "append":
            r = await client.call(
              MemMsg.MEM_APPEND,
              concatBytes(
                MemAppendHeader.encode({ handle: pick(op.h), flags: op.flags }),
                encodeList(SglEntry, [
                  { ipa: BigInt(window + op.page * PAGE), size: BigInt(PAGE) },
                ]),
              ),
            );
            break;
          case "reclaim":
            r = await client.call(MemMsg.MEM_RECLAIM, handleReq(pick(op.h), op.flags));
            break;
          case "release":
            r = await client.call(MemMsg.MEM_RELEASE, handleReq(pick(op.h), op.flags));
            break;
          case "notify":
            r = await client.call(
              MemMsg.MEM_NOTIFY,
              concatBytes(
                MemNotifyHeader.encode({ handle: pick(op.h), flags: op.flags, memInfoTag: 0 }),
                op.flags === 1
                  ? new Uint8Array([1, 0, 0, 0, vm.vmid & 0xff, vm.vmid >> 8, 0, 0])
                  : new Uint8Array(0),
              ),
            );
            break;
          case "accept":
            r = await client.call(
              MemMsg.MEM_ACCEPT,
              concatBytes(new Uint8Array(16), new Uint8Array(4)),
            );
            break;
        }
        assert.ok(r, "every call is answered");
      }
      // The host takes back what it can, then destroys the guest.
      for (const h of handles) await client.call(MemMsg.MEM_RECLAIM, handleReq(h));
      const since = client.mark();
      const reset = await client.call(VmMsg.VM_RESET, vmidReq(vm.vmid));
      assert.equal(reset.error, RmError.OK, "VM_RESET");
      await client.waitNotification(statusIs(vm.vmid, VmStatus.RESET), since);
      const dealloc = await client.call(VmMsg.VM_DEALLOC_VMID, vmidReq(vm.vmid));
      assert.equal(dealloc.error, RmError.OK, "VM_DEALLOC_VMID");
      // Every page of the window is the host's again (lent, shared or donated).
      for (let p = 0; p < 16; p++) {
        const read = host.vm.memory.read(window + p * PAGE, 4);
        assert.ok(read.ok, `page ${p} of the window is the host's again`);
      }
      assert.equal(JSON.stringify(platform.hypervisor.stats().pages), baseline);
      assert.equal(platform.hypervisor.stats().caps, baseCaps);
    }),
    { numRuns: RUNS, seed: 0xadd },
  );
  assert.ok(created > 0, "some parcels were created (the attack reached the parcel table)");
  if (process.env.GUNYAH_FUZZ_VERBOSE) console.log(`parcels created: ${created}`);
});
