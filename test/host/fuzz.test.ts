// Property tests for everything the host parses from a less trusted party: packets
// and replies from the RM, notifications, and the run structure the VMM writes.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { VcpuRunState } from "../../src/hyp/abi/index.js";
import { encodeHeader, RmNotification, VmMsg } from "../../src/rm/protocol/index.js";
import { RmCalls } from "../../src/host/rm/calls.js";
import { RmClient } from "../../src/host/rm/client.js";
import { FakeRm } from "./fake-rm.js";
import { Caps, configuredVm, testHost } from "./setup.js";

test("fuzz: garbage packets from the RM never break the client; the real reply still lands", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 260 }), { maxLength: 12 }),
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 63 }),
          fc.uint8Array({ maxLength: 232 }),
        ),
        { maxLength: 6 },
      ),
      async (raw, headed) => {
        const rm = new FakeRm();
        const client = new RmClient(rm.transport, { timeoutMs: 1000 });
        const calls = new RmCalls(client);
        rm.silent = true;
        const pending = calls.allocVmid();
        await new Promise((r) => setImmediate(r));
        for (const bytes of raw) rm.sendRaw(bytes);
        for (const [type, fragments, body] of headed) {
          const p = new Uint8Array(8 + body.length);
          encodeHeader(
            { type: type as 0 | 1 | 2 | 3, fragments, seq: 0x7777, msgId: 0x5100_0012 },
            p,
          );
          p.set(body, 8);
          rm.sendRaw(p);
        }
        rm.release();
        const r = await pending;
        assert.ok(r.ok, r.ok ? "" : r.error.message);
        client.close();
      },
    ),
    { numRuns: 60 },
  );
});

test("fuzz: arbitrary reply data is a typed result, never an exception", async () => {
  const rm = new FakeRm();
  const calls = new RmCalls(new RmClient(rm.transport));
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (data) => {
      for (const id of [VmMsg.VM_GET_HYP_RESOURCES, VmMsg.VM_ALLOC_VMID, VmMsg.VM_GET_STATE])
        rm.rawReplies.set(id, data);
      const results = [
        await calls.getHypResources(1),
        await calls.allocVmid(),
        await calls.getState(1),
      ];
      for (const r of results) if (!r.ok) assert.equal(r.error.code, "EBADMSG");
    }),
    { numRuns: 100 },
  );
});

test("fuzz: arbitrary VM_STATUS and VM_EXITED payloads leave a consistent VM", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  assert.ok((await vm.start()).ok);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.boolean(), async (payload, exited) => {
      if (payload.length >= 2) payload.set([0x80, 0], 0); // aim at our VM
      host.rm.notify(exited ? RmNotification.VM_EXITED : RmNotification.VM_STATUS, payload);
      await new Promise((r) => setTimeout(r, 1));
      assert.ok([2, 3, 4, 9, 10, 11, 8].includes(vm.status), `status ${vm.status}`);
    }),
    { numRuns: 60 },
  );
  vm.close();
  await vm.released;
});

test("fuzz: a VMM that scribbles over the run structure gets EINVAL or a clean exit", async () => {
  const host = testHost();
  const { vm } = configuredVm(host);
  const v = vm.addFunction({ type: "vcpu", id: 0 });
  assert.ok(v.ok);
  assert.ok((await vm.start()).ok);
  const vcpu = v.value;
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.boolean(),
      async (junk, read) => {
        host.native.hyp.runScripts.set(Caps.vcpu(0), [
          {
            state: read ? VcpuRunState.ADDRSPACE_VMMIO_READ : VcpuRunState.ADDRSPACE_VMMIO_WRITE,
            data: [0x0900_0000n, 4n, 7n],
          },
          { state: VcpuRunState.ADDRSPACE_VMMIO_WRITE, data: [0x0900_0004n, 8n, 1n] },
          { state: VcpuRunState.ADDRSPACE_VMMIO_WRITE, data: [0x0900_0008n, 1n, 2n] },
        ]);
        const first = await vcpu.run();
        assert.ok(first.ok);
        const page = new Uint8Array(vcpu.runStructure);
        page.set(junk.subarray(1), 1); // keep immediate_exit clear, scribble the rest
        const second = await vcpu.run();
        if (second.ok) assert.equal(second.value.reason, "mmio");
        else assert.equal(second.error.code, "EINVAL");
        // Whatever happened, the host's own state is consistent: a good answer works.
        page[37] = 0;
        const third = await vcpu.run();
        assert.ok(third.ok || third.error.code === "EINVAL");
      },
    ),
    { numRuns: 60 },
  );
  vcpu.close();
  vm.close();
  await vm.released;
});
