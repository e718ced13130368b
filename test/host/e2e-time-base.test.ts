// VM_SET_TIME_BASE's error through the host, against the real RM: a VM whose
// configuration has no `vrtc-pl031` cannot take a time base. The RM refuses it as the
// public RM's vm_mgnt_handle_set_time_base does: ARGUMENT_INVALID with the hypervisor's
// error (DENIED: no vRTC, vm_config_vrtc_set_time_base) as the reply's 4-byte error data,
// which the host keeps in the error's origin and names in its message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError } from "../../src/hyp/abi/index.js";
import { setLogSink } from "../../src/lib/log.js";
import { VmStatus } from "../../src/host/index.js";
import { RmError } from "../../src/rm/protocol/index.js";
import { prepareGuestVm } from "./e2e-vm.js";
import { programBytes } from "./guest.js";

setLogSink(() => {});

test("e2e: a time base for a VM without a vRTC fails its start with the RM's hypervisor error", async () => {
  const guest = await prepareGuestVm({ seed: 5, program: programBytes() });
  assert.ok(guest.vm.setTimeBase(1_614_834_367n * 1_000_000_000n).ok);
  const started = await guest.vm.start();
  assert.ok(!started.ok, "the start fails");
  assert.equal(started.error.code, "EINVAL");
  assert.equal(
    started.error.message,
    "EINVAL: VM_SET_TIME_BASE: RM error ARGUMENT_INVALID (hypervisor error DENIED)",
  );
  assert.deepEqual(started.error.origin, {
    rmError: RmError.ARGUMENT_INVALID,
    hypError: HypError.DENIED,
  });
  assert.notEqual(guest.vm.status, VmStatus.RUNNING);
  await guest.release();
  guest.mem.close();
  assert.equal(guest.gunyah.availableMemory, guest.freeAtOpen, "nothing leaked");
  await guest.close();
});
