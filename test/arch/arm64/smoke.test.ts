import { test } from "node:test";
import assert from "node:assert/strict";
import { runAsm, x } from "./harness.js";
test("smoke", () => {
  const m = runAsm(`
    movz x0, #0x1234, lsl #16
    movk x0, #0x5678
    add x1, x0, #1
    sub x2, x1, x0
    mov x3, #-1
    adds x4, x3, #1
    cset x5, cs
    ldr x6, =0x1122334455667788
    adr x7, data
    str x6, [x7, #8]
    ldr x8, [x7, #8]!
    ldp x9, x10, [x7, #-8]
    b 1f
    .balign 8
    data: .quad 0, 0, 0
    1:
    bl func
    b 2f
    func: mov x11, #42
    ret
    2:
    lsr x12, x6, #8
    asr x13, x3, #3
    and x14, x6, #0xff
  `);
  assert.equal(x(m, 0), 0x12345678n);
  assert.equal(x(m, 1), 0x12345679n);
  assert.equal(x(m, 2), 1n);
  assert.equal(x(m, 4), 0n);
  assert.equal(x(m, 5), 1n);
  assert.equal(x(m, 8), 0x1122334455667788n);
  assert.equal(x(m, 10), 0x1122334455667788n);
  assert.equal(x(m, 11), 42n);
  assert.equal(x(m, 12), 0x11223344556677n);
  assert.equal(x(m, 13), 0xffffffffffffffffn);
  assert.equal(x(m, 14), 0x88n);
});
