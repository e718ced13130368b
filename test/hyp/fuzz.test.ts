// Property test: random function IDs and arguments thrown at the dispatcher (from the
// root VM and from a guest vCPU's context) never throw, and the accounting stays
// consistent: every physical page has exactly one owner, counts never go negative,
// and deleting what the fuzzer created returns the object counts to the baseline.
// GUNYAH_FUZZ_RUNS raises the number of runs (default 60).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Call, HypError, hypercallId, hypErrorFromX0 } from "../../src/hyp/abi/index.js";
import { fakeFactory } from "./fake-cpu.js";
import { buildGuest } from "./guest.js";
import { boot } from "./helpers.js";
import type { NativeVmContext } from "../../src/hyp/native-vm.js";
import type { Vcpu } from "../../src/hyp/vcpu.js";

const RUNS = Number(process.env.GUNYAH_FUZZ_RUNS ?? 60);
const CALLS = Object.values(Call);
const CREATES = new Set<number>([
  Call.PARTITION_CREATE_PARTITION,
  Call.PARTITION_CREATE_CSPACE,
  Call.PARTITION_CREATE_ADDRSPACE,
  Call.PARTITION_CREATE_MEMEXTENT,
  Call.PARTITION_CREATE_THREAD,
  Call.PARTITION_CREATE_DOORBELL,
  Call.PARTITION_CREATE_MSGQUEUE,
  Call.PARTITION_CREATE_VIC,
  Call.PARTITION_CREATE_VPM_GROUP,
  Call.CSPACE_COPY_CAP_FROM,
]);

test("the dispatcher survives random calls and keeps its accounting consistent", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          fid: fc.oneof(
            fc.constantFrom(...CALLS).map(hypercallId),
            fc.integer({ min: 0, max: 0x7f }).map(hypercallId),
            fc.constantFrom(
              0x8400_0000,
              0xc400_0003,
              0x8400_0008,
              0x8400_000a,
              0x8000_0000,
              0x8600_ff01,
            ),
            fc.integer({ min: 0, max: 0xffff_ffff }),
          ),
          args: fc.array(
            fc.oneof(
              fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
              fc.integer({ min: -2, max: 8 }).map((n) => BigInt(n)),
              fc.constantFrom("cap", "page", "ram"),
            ),
            { maxLength: 7 },
          ),
          guest: fc.boolean(),
        }),
        { maxLength: 40 },
      ),
      (calls) => {
        const f = fakeFactory();
        const { hyp, rm } = boot({ cpuFactory: f.factory, seed: 7 });
        const base = hyp.stats();
        const g = buildGuest(rm);
        // Guest-originated calls run in the vCPU's context (its own cspace, PSCI).
        const vcpu = (rm as unknown as NativeVmContext).cspace.lookup<Vcpu>(
          g.vcpus[0]!,
          "thread",
          0,
        );
        assert.ok(vcpu.ok);
        const caps = [
          rm.caps.partition,
          rm.caps.cspace,
          rm.caps.addrspace,
          rm.caps.memextent,
          rm.caps.vic,
          g.addrspace,
          g.extent,
          g.cspace,
          g.vpm,
          ...g.vcpus,
        ];
        const created: bigint[] = [];
        let pick = 0;
        for (const c of calls) {
          const args = c.args.map((a) => {
            if (a === "cap") return caps[pick++ % caps.length]!;
            if (a === "page") return BigInt((pick++ % 16) * 0x1000);
            if (a === "ram") return BigInt(rm.caps.ramBase);
            return a;
          });
          const r: readonly bigint[] = c.guest
            ? hyp.dispatcher.dispatch(vcpu.value, c.fid, args)
            : rm.hvc.hvc(c.fid, args);
          assert.equal(r.length >= 4, true);
          for (const v of r) assert.ok(v >= 0n && v < 1n << 64n);
          const n = c.fid & 0x3fff;
          if (
            hypercallId(n) === c.fid >>> 0 &&
            CREATES.has(n) &&
            hypErrorFromX0(r[0] ?? 0n) === HypError.OK
          ) {
            created.push(r[1] ?? 0n);
            caps.push(r[1] ?? 0n);
          }
        }
        const s = hyp.stats();
        const pages = Object.values(s.pages).reduce((a, b) => a + b, 0);
        assert.equal(pages, (64 << 20) / 4096, "every page has one owner");
        for (const n of Object.values(s.objects)) assert.ok(n >= 0);
        // Teardown: delete the guest and everything created from the root cspace.
        for (const cap of [...created, g.addrspace, g.extent, g.cspace, g.vpm, ...g.vcpus])
          rm.hvc.hvc(hypercallId(Call.CSPACE_DELETE_CAP_FROM), [rm.caps.cspace, cap, 0n]);
        const after = hyp.stats();
        // Objects may only outlive this if the fuzzer built a cspace that holds a cap to
        // itself (a cycle, as in Gunyah); otherwise everything is gone.
        if (after.objects.cspace === base.objects.cspace) {
          assert.deepEqual({ ...after, backedBytes: 0 }, { ...base, backedBytes: 0 });
        }
      },
    ),
    { numRuns: RUNS, seed: Number(process.env.GUNYAH_FUZZ_SEED ?? 42) },
  );
});
