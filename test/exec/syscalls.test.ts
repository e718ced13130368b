// The syscall layer without a CPU: handlers called with X0-X5 as a program would pass
// them, against a real AddressSpace and the host filesystem (a temporary directory).

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { Errno } from "../../src/exec/errno.js";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../../src/exec/memory.js";
import { ProcessState } from "../../src/exec/state.js";
import type { Args } from "../../src/exec/syscalls/args.js";
import { SYSCALLS } from "../../src/exec/syscalls/table.js";
import { MMAP_BASE } from "../../src/exec/loader.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gunyah-exec-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const SCRATCH = 0x10000;
const devnull = fs.openSync("/dev/null", "r+");

function newProcess(): ProcessState {
  const mem = new AddressSpace({ maxResidentPages: 1 << 16 });
  mem.mapAnonymous(SCRATCH / 4096, 16, PROT_READ | PROT_WRITE);
  const p = new ProcessState(
    mem,
    { pid: 42, ppid: 1, uid: 1000, gid: 1000 },
    { stdin: devnull, stdout: devnull, stderr: devnull },
    dir,
    "/bin/prog",
  );
  p.brkStart = p.brk = 0x500000;
  return p;
}

function call(p: ProcessState, name: string, ...args: (number | bigint)[]): bigint {
  const entry = [...SYSCALLS.values()].find((e) => e.name === name);
  assert.ok(entry, name);
  const a = [0, 1, 2, 3, 4, 5].map((i) =>
    BigInt.asUintN(64, BigInt(args[i] ?? 0)),
  ) as unknown as Args;
  return BigInt.asIntN(64, BigInt(entry.handler(p, a)));
}

function putString(p: ProcessState, at: number, s: string): number {
  assert.ok(p.mem.write(at, Buffer.from(`${s}\0`)).ok);
  return at;
}

test("openat/write/lseek/pread64/read/fstat/close round-trip a host file", () => {
  const p = newProcess();
  const name = putString(p, SCRATCH, "file.txt");
  const fd = call(p, "openat", -100, name, 0o1102 /* O_RDWR|O_CREAT|O_TRUNC */, 0o644);
  assert.ok(fd >= 3n);
  putString(p, SCRATCH + 0x100, "hello, gunyah");
  assert.equal(call(p, "write", fd, SCRATCH + 0x100, 13), 13n);
  assert.equal(call(p, "lseek", fd, 0, 1 /* SEEK_CUR */), 13n);
  assert.equal(call(p, "pread64", fd, SCRATCH + 0x200, 5, 7), 5n);
  assert.equal(
    Buffer.from((p.mem.read(SCRATCH + 0x200, 5) as { value: Uint8Array }).value).toString(),
    "gunya",
  );
  assert.equal(call(p, "lseek", fd, 0, 0), 0n);
  assert.equal(call(p, "read", fd, SCRATCH + 0x300, 100), 13n);
  assert.equal(call(p, "read", fd, SCRATCH + 0x300, 100), 0n, "EOF");
  assert.equal(call(p, "fstat", fd, SCRATCH + 0x400), 0n);
  const st = p.mem.read(SCRATCH + 0x400, 128);
  assert.ok(st.ok);
  const v = new DataView(st.value.buffer);
  assert.equal(v.getBigInt64(48, true), 13n, "st_size at offset 48 (asm-generic struct stat)");
  assert.equal(v.getUint32(16, true) & 0o170000, 0o100000, "S_IFREG");
  assert.equal(call(p, "close", fd), 0n);
  assert.equal(call(p, "close", fd), -BigInt(Errno.EBADF));
  assert.equal(fs.readFileSync(path.join(dir, "file.txt"), "utf8"), "hello, gunyah");
});

test("bad pointers give EFAULT and consume nothing; bad descriptors give EBADF", () => {
  const p = newProcess();
  assert.equal(call(p, "write", 1, 0xdead0000, 4), -BigInt(Errno.EFAULT));
  assert.equal(call(p, "read", 0, 2 ** 60, 4), -BigInt(Errno.EFAULT));
  assert.equal(call(p, "write", 77, SCRATCH, 1), -BigInt(Errno.EBADF));
  assert.equal(call(p, "openat", -100, 0x7777_0000, 0), -BigInt(Errno.EFAULT));
  assert.equal(call(p, "fstat", 1, -1n), -BigInt(Errno.EFAULT));
  // A buffer that runs off the end of the mapping: nothing is written.
  assert.equal(call(p, "getrandom", SCRATCH + 16 * 4096 - 8, 16, 0), -BigInt(Errno.EFAULT));
});

test("unknown syscall numbers are not in the table (the run loop answers ENOSYS)", () => {
  assert.equal(SYSCALLS.get(1234), undefined);
  assert.equal(SYSCALLS.get(63)?.name, "read");
  assert.equal(SYSCALLS.get(94)?.name, "exit_group");
});

test("brk grows and shrinks the heap; the new pages read as zero", () => {
  const p = newProcess();
  assert.equal(call(p, "brk", 0), 0x500000n);
  assert.equal(call(p, "brk", 0x523456), 0x523456n);
  assert.ok(p.mem.write(0x523000, new Uint8Array([1, 2, 3])).ok);
  assert.equal(call(p, "brk", 0x501000), 0x501000n);
  assert.equal(p.mem.isMapped(0x523), false);
  assert.equal(call(p, "brk", 0x524000), 0x524000n);
  const r = p.mem.read(0x523000, 3);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [0, 0, 0]);
  assert.equal(call(p, "brk", 0x100), 0x524000n, "below the start: unchanged");
});

test("mmap, mprotect, mremap and munmap edit the page table", () => {
  const p = newProcess();
  const a = call(p, "mmap", 0, 3 * 4096, 3, 0x22 /* PRIVATE|ANON */, -1, 0);
  assert.equal(a, BigInt(MMAP_BASE));
  const b = call(p, "mmap", 0, 4096, 1, 0x22, -1, 0);
  assert.equal(b, BigInt(MMAP_BASE + 3 * 4096), "first fit above the previous");
  assert.equal(call(p, "mprotect", a + 4096n, 4096, 1), 0n);
  assert.equal(p.mem.protOf(Number(a) / 4096 + 1), 1);
  assert.equal(call(p, "mprotect", 0x7000_0000, 4096, 1), -BigInt(Errno.ENOMEM));
  assert.ok(p.mem.write(Number(a), new Uint8Array([9, 8, 7])).ok);
  const moved = call(p, "mremap", a, 3 * 4096, 64 * 4096, 1 /* MAYMOVE */);
  assert.ok(moved !== a, "cannot grow in place: b is in the way");
  const r = p.mem.read(Number(moved), 3);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [9, 8, 7], "contents move with the pages");
  assert.equal(p.mem.isMapped(Number(a) / 4096), false);
  assert.equal(call(p, "munmap", moved, 64 * 4096), 0n);
  assert.equal(p.mem.isMapped(Number(moved) / 4096), false);
  assert.equal(call(p, "mmap", 0, 0, 3, 0x22, -1, 0), -BigInt(Errno.EINVAL));
  assert.equal(
    call(p, "mmap", 0, 4096, 3, 0x20, -1, 0),
    -BigInt(Errno.EINVAL),
    "no MAP_PRIVATE/SHARED",
  );
  assert.equal(
    call(p, "mmap", 0x1001, 4096, 3, 0x32, -1, 0),
    -BigInt(Errno.EINVAL),
    "unaligned MAP_FIXED",
  );
  const huge = call(p, "mmap", 0, 2 ** 40, 3, 0x4022, -1, 0);
  assert.ok(huge > 0n, "a 1 TiB NORESERVE mapping costs nothing until touched");
  assert.equal(p.mem.residentPages < 100, true);
});

test("file mmap copies the file's pages", () => {
  const p = newProcess();
  fs.writeFileSync(path.join(dir, "map.bin"), Buffer.alloc(5000, 0x5a));
  const fd = call(p, "openat", -100, putString(p, SCRATCH, "map.bin"), 0, 0);
  const at = call(p, "mmap", 0, 8192, 1, 2, fd, 0);
  assert.ok(at > 0n);
  const r = p.mem.read(Number(at) + 4990, 20);
  assert.ok(r.ok);
  assert.deepEqual([...r.value.subarray(0, 10)], Array(10).fill(0x5a));
  assert.deepEqual([...r.value.subarray(10)], Array(10).fill(0), "past EOF reads zero");
});

test("pipes, dup3 and fcntl", () => {
  const p = newProcess();
  assert.equal(call(p, "pipe2", SCRATCH, 0), 0n);
  const fds = p.mem.read(SCRATCH, 8);
  assert.ok(fds.ok);
  const v = new DataView(fds.value.buffer);
  const [r, w] = [v.getInt32(0, true), v.getInt32(4, true)];
  putString(p, SCRATCH + 64, "pipe data");
  assert.equal(call(p, "write", w, SCRATCH + 64, 9), 9n);
  assert.equal(call(p, "read", r, SCRATCH + 128, 4), 4n);
  assert.equal(call(p, "dup3", r, 10, 0x80000 /* O_CLOEXEC */), 10n);
  assert.equal(call(p, "fcntl", 10, 1 /* F_GETFD */), 1n);
  assert.equal(call(p, "read", 10, SCRATCH + 132, 10), 5n, "dup shares the pipe");
  assert.equal(call(p, "close", w), 0n);
  assert.equal(call(p, "read", r, SCRATCH + 128, 4), 0n, "EOF once writers are gone");
  assert.equal(call(p, "ioctl", r, 0x5401, SCRATCH), -BigInt(Errno.ENOTTY));
  assert.equal(call(p, "fcntl", 99, 1), -BigInt(Errno.EBADF));
});

test("directories: getdents64, mkdirat, unlinkat, renameat, getcwd, chdir, newfstatat", () => {
  const p = newProcess();
  assert.equal(call(p, "mkdirat", -100, putString(p, SCRATCH, "d"), 0o755), 0n);
  fs.writeFileSync(path.join(dir, "d", "one"), "1");
  assert.equal(
    call(
      p,
      "renameat",
      -100,
      putString(p, SCRATCH, "d/one"),
      -100,
      putString(p, SCRATCH + 64, "d/two"),
    ),
    0n,
  );
  assert.equal(call(p, "chdir", putString(p, SCRATCH, "d")), 0n);
  assert.equal(
    call(p, "getcwd", SCRATCH, 4096),
    BigInt(Buffer.byteLength(path.join(dir, "d")) + 1),
  );
  const fd = call(p, "openat", -100, putString(p, SCRATCH, "."), 0o40000 /* O_DIRECTORY */, 0);
  assert.ok(fd >= 0n);
  const n = call(p, "getdents64", fd, SCRATCH + 0x1000, 4096);
  assert.ok(n > 0n);
  const raw = p.mem.read(SCRATCH + 0x1000, Number(n));
  assert.ok(raw.ok);
  const names: string[] = [];
  const dv = new DataView(raw.value.buffer);
  for (let at = 0; at < Number(n); at += dv.getUint16(at + 16, true)) {
    const end = raw.value.indexOf(0, at + 19);
    names.push(Buffer.from(raw.value.subarray(at + 19, end)).toString());
  }
  assert.deepEqual(names.sort(), [".", "..", "two"]);
  assert.equal(call(p, "getdents64", fd, SCRATCH + 0x1000, 4096), 0n, "end of directory");
  assert.equal(call(p, "newfstatat", -100, putString(p, SCRATCH, "two"), SCRATCH + 0x100, 0), 0n);
  assert.equal(
    call(p, "newfstatat", -100, putString(p, SCRATCH, "nope"), SCRATCH + 0x100, 0),
    -BigInt(Errno.ENOENT),
  );
  assert.equal(call(p, "unlinkat", -100, putString(p, SCRATCH, "two"), 0), 0n);
  assert.equal(call(p, "faccessat", -100, putString(p, SCRATCH, "two"), 0), -BigInt(Errno.ENOENT));
});

test("process calls: exit status, signals, ids, limits, futex", () => {
  const p = newProcess();
  assert.equal(call(p, "getpid"), 42n);
  assert.equal(call(p, "set_tid_address", SCRATCH), 42n);
  assert.equal(call(p, "sched_getaffinity", 0, 128, SCRATCH), 8n);
  assert.equal(call(p, "prlimit64", 0, 3, 0, SCRATCH), 0n);
  assert.equal((p.mem.readU64(SCRATCH) as { value: bigint }).value, 8n << 20n);
  assert.ok(p.mem.write(SCRATCH, new Uint8Array([5, 0, 0, 0])).ok);
  assert.equal(call(p, "futex", SCRATCH, 128, 6), -BigInt(Errno.EAGAIN));
  assert.equal(call(p, "futex", SCRATCH, 129, 1), 0n, "wake: nobody waits");
  assert.equal(call(p, "rt_sigaction", 9, SCRATCH, 0, 8), -BigInt(Errno.EINVAL), "SIGKILL");
  assert.equal(call(p, "rt_sigprocmask", 0, 0, SCRATCH, 8), 0n);
  assert.equal(call(p, "kill", 42, 0), 0n);
  assert.equal(p.exitStatus, undefined);
  assert.equal(call(p, "tgkill", 42, 42, 6), 0n);
  assert.equal(p.exitStatus, 134, "SIGABRT's default action ends the process");
  const q = newProcess();
  assert.equal(call(q, "exit_group", 0x1234), 0n);
  assert.equal(q.exitStatus, 0x34);
});
