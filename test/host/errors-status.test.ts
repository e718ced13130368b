import { test } from "node:test";
import assert from "node:assert/strict";
import { HypError } from "../../src/hyp/abi/index.js";
import { RmError, VmStatus } from "../../src/rm/protocol/index.js";
import { Errno, fromHypError, fromRmError, GunyahError } from "../../src/host/errors.js";
import { canTransition } from "../../src/host/vm-status.js";

test("errors: hypervisor errors map to errno as Linux's gunyah_error_remap", () => {
  const cases: Array<[number, keyof typeof Errno]> = [
    [HypError.NOMEM, "ENOMEM"],
    [HypError.DENIED, "EACCES"],
    [HypError.CSPACE_CAP_NULL, "EACCES"],
    [HypError.CSPACE_CAP_REVOKED, "EACCES"],
    [HypError.CSPACE_WRONG_OBJECT_TYPE, "EACCES"],
    [HypError.CSPACE_INSUFFICIENT_RIGHTS, "EACCES"],
    [HypError.CSPACE_FULL, "EBUSY"],
    [HypError.BUSY, "EBUSY"],
    [HypError.IDLE, "EBUSY"],
    [HypError.VIRQ_BOUND, "EIO"],
    [HypError.MSGQUEUE_EMPTY, "EIO"],
    [HypError.MSGQUEUE_FULL, "EIO"],
    [HypError.UNIMPLEMENTED, "EOPNOTSUPP"],
    [HypError.RETRY, "EAGAIN"],
    [HypError.ARGUMENT_INVALID, "EINVAL"],
    [HypError.ADDR_INVALID, "EINVAL"],
    [HypError.MEMDB_NOT_OWNER, "EINVAL"],
  ];
  for (const [code, errno] of cases) {
    const e = fromHypError(code, "call");
    assert.equal(e.code, errno, `hyp error ${code}`);
    assert.equal(e.errno, -Errno[errno]);
    assert.equal(e.origin.hypError, code);
    assert.ok(e instanceof Error && e instanceof GunyahError);
  }
});

test("errors: RM errors map to errno as Linux's gunyah_rm_error_remap", () => {
  const cases: Array<[number, keyof typeof Errno]> = [
    [RmError.UNIMPLEMENTED, "EOPNOTSUPP"],
    [RmError.NOMEM, "ENOMEM"],
    [RmError.NORESOURCE, "ENODEV"],
    [RmError.DENIED, "EPERM"],
    [RmError.BUSY, "EBUSY"],
    [RmError.MSG_INVALID, "EINVAL"],
    [RmError.HANDLE_INVALID, "EINVAL"],
    [RmError.IRQ_RELEASED, "EINVAL"],
    [RmError.IN_USE, "EBADMSG"],
    [RmError.VM_STATE, "EBADMSG"],
    [0x1234, "EBADMSG"],
  ];
  for (const [code, errno] of cases)
    assert.equal(fromRmError(code, "call").code, errno, `rm error ${code}`);
});

test("vm status table: exactly the transitions of gunyah-abi.md section 3, plus the two reply races", () => {
  const S = VmStatus;
  const documented: Record<number, number[]> = {
    [S.LOAD]: [S.NONE],
    [S.AUTH]: [S.LOAD, S.RESET],
    [S.INIT]: [S.LOAD, S.AUTH, S.RESET],
    [S.READY]: [S.INIT],
    [S.RUNNING]: [S.READY, S.PAUSED],
    [S.PAUSED]: [S.RUNNING],
    [S.INIT_FAILED]: [S.INIT, S.READY, S.LOAD, S.AUTH, S.RESET],
    [S.EXITED]: [S.RUNNING, S.PAUSED],
    [S.RESETTING]: [S.EXITED, S.READY, S.INIT_FAILED],
    [S.RESET]: [S.RESETTING],
    [S.NONE]: [S.RESET],
  };
  // The host sees VM_INIT's reply without the transient INIT (LOAD/AUTH -> READY), may
  // read VM_EXITED before VM_START's reply (READY -> EXITED), and may see RESET without
  // RESETTING.
  const hostOnly: Array<[number, number]> = [
    [S.LOAD, S.READY],
    [S.AUTH, S.READY],
    [S.READY, S.EXITED],
    [S.EXITED, S.RESET],
    [S.READY, S.RESET],
    [S.INIT_FAILED, S.RESET],
  ];
  const all = Object.values(S);
  for (const from of all) {
    for (const to of all) {
      const expected =
        (documented[to] ?? []).includes(from) || hostOnly.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to), expected, `${from} -> ${to}`);
    }
  }
  assert.equal(canTransition(S.RUNNING, 99), false);
});
