// The address space, its mapping list, the initial stack and the SVC path, without
// QEMU: what the CPU sees through lookup() and what syscalls see through read/write.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Arm64Cpu } from "../../src/arch/arm64/port.js";
import { setLogSink } from "../../src/lib/log.js";
import { handleSyscall } from "../../src/exec/process.js";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../src/exec/memory.js";
import { VmaList } from "../../src/exec/ranges.js";
import { buildInitialStack, AT_EXECFN, AT_NULL, AT_RANDOM } from "../../src/exec/stack.js";
import { ProcessState } from "../../src/exec/state.js";

test("pages exist only once touched, read as zero, and carry their mapping's rights", () => {
  const mem = new AddressSpace();
  let invalidations = 0;
  mem.onInvalidate = () => invalidations++;
  mem.mapAnonymous(0x100, 1 << 20, PROT_READ | PROT_WRITE);
  assert.equal(mem.residentPages, 0);
  const page = mem.lookup(0x100 + 12345);
  assert.ok(page);
  assert.equal(page.read && page.write && !page.exec, true);
  assert.equal(page.bytes[page.offset], 0);
  assert.equal(mem.residentPages, 1);
  assert.equal(mem.lookup(0x50), undefined, "unmapped");
  assert.ok(mem.protect(0x100, 16, PROT_READ | PROT_EXEC).ok);
  const again = mem.lookup(0x105);
  assert.ok(again && again.exec && !again.write);
  assert.ok(invalidations > 0, "the CPU is told to drop its TLB");
  mem.unmap(0x100, 1 << 20);
  assert.equal(mem.residentPages, 0, "pages go back to the pool");
});

test("a resident-set limit makes further first touches fault instead of exhausting the host", () => {
  const mem = new AddressSpace({ maxResidentPages: 2 });
  mem.mapAnonymous(0x10, 4, PROT_READ | PROT_WRITE);
  assert.ok(mem.lookup(0x10));
  assert.ok(mem.lookup(0x11));
  assert.equal(mem.lookup(0x12), undefined);
});

test("guest copies check every page first and never write half a buffer", () => {
  const mem = new AddressSpace();
  mem.mapAnonymous(0x10, 1, PROT_READ | PROT_WRITE);
  mem.mapAnonymous(0x11, 1, PROT_READ);
  const data = new Uint8Array(8).fill(7);
  assert.equal(mem.write(0x10ffc, data).ok, false);
  const r = mem.read(0x10ff8, 8);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(mem.read(2 ** 48 - 4, 8).ok, false, "beyond user space");
  assert.equal(mem.read(-1, 1).ok, false);
});

test("the mapping list stays sorted, disjoint and merged under random edits", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.boolean(),
          fc.nat(200),
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 0, max: 7 }),
        ),
        {
          maxLength: 40,
        },
      ),
      (ops) => {
        const list = new VmaList();
        const model = new Map<number, number>();
        for (const [insert, start, count, prot] of ops) {
          if (insert) list.insert(start, start + count, prot);
          else list.remove(start, start + count);
          for (let p = start; p < start + count; p++) {
            if (insert) model.set(p, prot);
            else model.delete(p);
          }
        }
        const all = list.all;
        for (let i = 1; i < all.length; i++) {
          const a = all[i - 1];
          const b = all[i];
          assert.ok(a && b && a.end <= b.start);
          if (a && b && a.end === b.start)
            assert.notEqual(a.prot, b.prot, "equal neighbours merge");
        }
        for (let p = 0; p < 260; p++) assert.equal(list.find(p)?.prot, model.get(p));
      },
    ),
    { numRuns: 200 },
  );
});

test("the initial stack: argc, argv, envp, auxv, strings; 16-byte aligned", () => {
  const mem = new AddressSpace();
  const top = 0x10_0000;
  mem.mapAnonymous(top / 4096 - 16, 16, PROT_READ | PROT_WRITE);
  const random = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const r = buildInitialStack(mem, {
    top,
    argv: ["prog", "arg one"],
    envp: ["A=1"],
    execfn: "/bin/prog",
    platform: "aarch64",
    random,
    phdr: 0x400040,
    phent: 56,
    phnum: 6,
    entry: 0x400100,
    uid: 1,
    euid: 2,
    gid: 3,
    egid: 4,
    hwcap: 0x983n,
    hwcap2: 0n,
  });
  assert.ok(r.ok);
  const { sp } = r.value;
  assert.equal(sp % 16, 0);
  const word = (i: number) => (mem.readU64(sp + i * 8) as { value: bigint }).value;
  const str = (a: bigint) =>
    Buffer.from((mem.readCString(Number(a)) as { value: Uint8Array }).value).toString();
  assert.equal(word(0), 2n);
  assert.equal(str(word(1)), "prog");
  assert.equal(str(word(2)), "arg one");
  assert.equal(word(3), 0n);
  assert.equal(str(word(4)), "A=1");
  assert.equal(word(5), 0n);
  const auxv = new Map<bigint, bigint>();
  for (let i = 6; word(i) !== BigInt(AT_NULL); i += 2) auxv.set(word(i), word(i + 1));
  assert.equal(str(auxv.get(BigInt(AT_EXECFN)) ?? 0n), "/bin/prog");
  const randomAt = Number(auxv.get(BigInt(AT_RANDOM)));
  assert.equal(randomAt % 16, 0);
  assert.deepEqual([...(mem.read(randomAt, 16) as { value: Uint8Array }).value], [...random]);
  assert.equal(auxv.get(16n), 0x983n, "AT_HWCAP");
  assert.equal(auxv.get(6n), 4096n, "AT_PAGESZ");
});

test("an unknown syscall answers -ENOSYS and warns once per number", () => {
  const regs = new Map<number, bigint>([[8, 4321n]]);
  const cpu = {
    getX: (i: number) => regs.get(i) ?? 0n,
    setX: (i: number, v: bigint) => void regs.set(i, v),
  } as unknown as Arm64Cpu;
  const lines: string[] = [];
  const previous = setLogSink((l) => lines.push(l));
  try {
    const p = new ProcessState(
      new AddressSpace(),
      { pid: 1, ppid: 0, uid: 0, gid: 0 },
      { stdin: 0, stdout: 1, stderr: 2 },
      "/",
      "/p",
    );
    handleSyscall(cpu, p);
    assert.equal(regs.get(0), BigInt.asUintN(64, -38n));
    handleSyscall(cpu, p);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /syscall 4321 is not implemented/);
  } finally {
    setLogSink(previous);
  }
});
