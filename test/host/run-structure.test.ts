import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ExitReason,
  ResumeAction,
  RUN_STRUCTURE_SIZE,
  RunHeader,
  RunMmio,
  RunPageFault,
  RunStatus,
  RunStructure,
  RUN_UNION_OFFSET,
  VmExitStatus,
} from "../../src/host/run-structure.js";

test("run structure: the exact v17 byte offsets", () => {
  assert.equal(RUN_STRUCTURE_SIZE, 4096);
  assert.equal(RunHeader.offsets.immediate_exit, 0);
  assert.equal(RunHeader.offsets.exit_reason, 8);
  assert.equal(RUN_UNION_OFFSET, 16);
  const at = (o: number) => RUN_UNION_OFFSET + o;
  assert.equal(at(RunMmio.offsets.phys_addr), 16);
  assert.equal(at(RunMmio.offsets.data), 24);
  assert.equal(at(RunMmio.offsets.len), 32);
  assert.equal(at(RunMmio.offsets.is_write), 36);
  assert.equal(at(RunMmio.offsets.resume_action), 37);
  assert.equal(at(RunStatus.offsets.status), 16);
  assert.equal(at(RunStatus.offsets.exit_type), 20);
  assert.equal(at(RunStatus.offsets.reason_size), 24);
  assert.equal(at(RunStatus.offsets.reason), 28);
  assert.equal(at(RunPageFault.offsets.phys_addr), 16);
  assert.equal(at(RunPageFault.offsets.attempt), 24);
  assert.equal(at(RunPageFault.offsets.resume_action), 28);
});

test("run structure: an MMIO write exit, byte by byte", () => {
  const rs = new RunStructure();
  rs.writeMmio(0x0900_0000n, 4, true, 0x1122_3344_5566_7788n);
  const b = new Uint8Array(rs.buffer);
  const v = new DataView(rs.buffer);
  assert.equal(v.getUint32(8, true), ExitReason.MMIO);
  assert.equal(v.getBigUint64(16, true), 0x0900_0000n);
  assert.deepEqual([...b.subarray(24, 32)], [0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0]);
  assert.equal(v.getUint32(32, true), 4);
  assert.equal(b[36], 1);
  assert.equal(b[37], ResumeAction.HANDLED);
  assert.deepEqual(rs.decode(), {
    reason: "mmio",
    physAddr: 0x0900_0000n,
    len: 4,
    isWrite: true,
    data: 0x5566_7788n,
  });
});

test("run structure: a read exit leaves data for the VMM, which the host reads back", () => {
  const rs = new RunStructure();
  rs.writeMmio(0x1000n, 2, false, 0xffffn);
  const b = new Uint8Array(rs.buffer);
  assert.deepEqual([...b.subarray(24, 32)], [0, 0, 0, 0, 0, 0, 0, 0]);
  b[24] = 0x34;
  b[25] = 0x12;
  b[26] = 0x99; // beyond len: ignored
  assert.equal(rs.mmioData(2), 0x1234n);
  b[37] = ResumeAction.FAULT;
  assert.equal(rs.mmioResumeAction, ResumeAction.FAULT);
});

test("run structure: STATUS passes the exit info through raw; PAGE_FAULT carries the errno", () => {
  const rs = new RunStructure();
  rs.writeStatus(VmExitStatus.EXITED, 1, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 9);
  const v = new DataView(rs.buffer);
  assert.equal(v.getUint32(8, true), ExitReason.STATUS);
  assert.equal(v.getUint32(16, true), VmExitStatus.EXITED);
  assert.equal(v.getUint16(20, true), 1);
  assert.equal(v.getUint32(24, true), 9);
  assert.deepEqual([...new Uint8Array(rs.buffer, 28, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  const d = rs.decode();
  assert.equal(d.reason, "status");
  rs.writePageFault(0x4000_1000n, -14);
  assert.deepEqual(rs.decode(), { reason: "page-fault", physAddr: 0x4000_1000n, attempt: -14 });
  assert.equal(new Uint8Array(rs.buffer)[28], ResumeAction.FAULT);
});

test("run structure: immediate_exit is shared through the buffer", () => {
  const rs = new RunStructure();
  assert.equal(rs.immediateExit, false);
  new Uint8Array(rs.buffer)[0] = 1;
  assert.equal(rs.immediateExit, true);
  rs.immediateExit = false;
  assert.equal(new Uint8Array(rs.buffer)[0], 0);
  new DataView(rs.buffer).setUint32(8, 77, true);
  assert.deepEqual(rs.decode(), { reason: "unknown" });
});
