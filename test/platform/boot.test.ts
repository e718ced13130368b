// Platform boot: the RM as root VM, the host VM with identity-mapped RAM and its RPC
// queue caps, all made by hypercall; HostBootInfo is what the host driver builds on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Call, HypError, hypercallId, hypErrorFromX0, RES0 } from "../../src/hyp/abi/index.js";
import {
  bootPlatform,
  GUEST_LAYOUT,
  HOST_VMID,
  PHYS_LAYOUT,
  RM_VMID,
} from "../../src/platform/index.js";
import {
  fragmentMessage,
  MsgType,
  parseReply,
  Reassembler,
  VmMsg,
} from "../../src/rm/protocol/index.js";

test("bootPlatform: host VM, RAM identity map, RPC caps and VIRQs", async () => {
  const p = bootPlatform({ ramSize: 64 << 20, rmRamSize: 4 << 20, seed: 7 });
  const { host } = p;
  assert.equal(host.vm.vmid, HOST_VMID);
  assert.equal(p.rm.vmid, RM_VMID);
  assert.deepEqual(host.ram, { base: PHYS_LAYOUT.ramBase + (4 << 20), size: 60 << 20 });
  // The host's RAM is readable and writable at IPA == PA, at both ends.
  for (const at of [host.ram.base, host.ram.base + host.ram.size - 8]) {
    assert.ok(host.vm.memory.write(at, new Uint8Array([9, 8, 7])).ok);
    assert.deepEqual(host.vm.memory.read(at, 3), { ok: true, value: new Uint8Array([9, 8, 7]) });
  }
  // ...and nothing else: the RM's own RAM and addresses past the end are not the host's.
  assert.equal(host.vm.memory.read(PHYS_LAYOUT.ramBase, 4).ok, false);
  assert.equal(host.vm.memory.read(host.ram.base + host.ram.size, 4).ok, false);
  assert.notEqual(host.rmTxCap, host.rmRxCap);
  assert.notEqual(host.rmTxVirq, host.rmRxVirq);
  assert.ok(host.rmRxVirq >= 992 && host.rmTxVirq >= 992);

  // The caps are the host's: receive on the TX cap is refused (no rights), on RX empty.
  const hvc = (call: number, args: bigint[]) =>
    hypErrorFromX0(host.vm.hvc.hvc(hypercallId(call), args)[0]);
  const buf = BigInt(host.ram.base);
  assert.equal(
    hvc(Call.MSGQUEUE_RECEIVE, [host.rmRxCap, buf, 240n, RES0]),
    HypError.MSGQUEUE_EMPTY,
  );
  assert.equal(
    hvc(Call.MSGQUEUE_RECEIVE, [host.rmTxCap, buf, 240n, RES0]),
    HypError.CSPACE_INSUFFICIENT_RIGHTS,
  );

  // One request, by hand: VM_GET_VMID answers 3 through the RX queue and its VIRQ.
  const req = fragmentMessage({
    type: MsgType.REQUEST,
    seq: 1,
    msgId: VmMsg.VM_GET_VMID,
    payload: new Uint8Array(0),
  });
  assert.ok(req.ok);
  assert.ok(host.vm.memory.write(host.ram.base, req.value[0]!.bytes).ok);
  assert.equal(hvc(Call.MSGQUEUE_SEND, [host.rmTxCap, 8n, buf, 1n, RES0]), HypError.OK);
  const reply = await new Promise<Uint8Array>((resolve) => {
    host.vm.virqs.onVirq(host.rmRxVirq, () => {
      const [x0, size] = host.vm.hvc.hvc(hypercallId(Call.MSGQUEUE_RECEIVE), [
        host.rmRxCap,
        buf,
        240n,
        RES0,
      ]);
      if (hypErrorFromX0(x0) !== 0) return;
      const r = host.vm.memory.read(host.ram.base, Number(size));
      if (r.ok) resolve(r.value);
    });
  });
  const m = new Reassembler().push(reply);
  assert.equal(m.kind, "message");
  if (m.kind === "message") {
    assert.equal(m.message.type, MsgType.REPLY);
    assert.equal(m.message.seq, 1);
    assert.deepEqual(parseReply(m.message.payload)?.data, new Uint8Array([3, 0, 0, 0]));
  }
});

test("machine layout constants", () => {
  assert.equal(GUEST_LAYOUT.gicDistributor.base, 0x0800_0000);
  assert.equal(GUEST_LAYOUT.gicDistributor.size, 0x1_0000);
  assert.equal(GUEST_LAYOUT.gicRedistributors.base, 0x080a_0000);
  assert.equal(GUEST_LAYOUT.gicRedistributors.sizePerCpu, 0x2_0000);
  assert.equal(GUEST_LAYOUT.uart.base, 0x0900_0000);
  assert.equal(GUEST_LAYOUT.uart.spi, 1);
  assert.equal(GUEST_LAYOUT.virtioMmio.base, 0x0a00_0000);
  assert.equal(GUEST_LAYOUT.virtioMmio.stride, 0x200);
  assert.equal(GUEST_LAYOUT.ramBase, 0x4000_0000);
});
