// Deterministic multi-vCPU runs (runOptions.scheduling "turns", src/host/functions/
// vcpu-turns.ts) on the real platform: two vCPUs race to print 300 letters each, then
// each prints the virtual counter it reads (CNTVCT_EL0). With turns the interleaving
// and the counters are a function of the guest alone: the same whatever the host's
// event loop does meanwhile (a busy event loop, the other run loop starting late, a
// VMM slow to answer some exits, a 1 ms wakeup poll; with the "free" policy the slow
// VMM alone changes the interleaving), and a vCPU's turn is the hypervisor's RUN_SLICE in instructions.

import { test } from "node:test";
import assert from "node:assert/strict";
import { setLogSink } from "../../src/lib/log.js";
import { VmExitStatus, type Vcpu, type VcpuExit } from "../../src/host/index.js";
import { RUN_SLICE } from "../../src/hyp/vcpu-run.js";
import { prepareGuestVm, runUntilNotMmio } from "./e2e-vm.js";
import { UART } from "./guest.js";

setLogSink(() => {});

const LETTERS = 300;
/** Instructions per letter: movz, 1000 x (subs, b.ne), str, subs, b.ne. */
const PER_LETTER = 2004;

/**
 * vCPU 0 starts vCPU 1 (PSCI CPU_ON at RAM + 0x200); each then prints its letter
 * (A, B) 300 times with 2,000 instructions of spinning before each, and writes
 * CNTVCT_EL0 to UART + 4. vCPU 0 waits for vCPU 1's flag at RAM + 0x300 and powers
 * off; vCPU 1 sets it and sleeps. (Assembled with aarch64-linux-gnu-as.)
 */
function raceProgram(): Uint8Array {
  const words = new Uint32Array(0x200);
  words.set([
    0xd2800060, // movz x0, #3
    0xf2b88000, // movk x0, #0xc400, lsl #16      PSCI CPU_ON
    0xd2800021, // movz x1, #1                     MPIDR 1
    0xd2804002, // movz x2, #0x200
    0xf2a80002, // movk x2, #0x4000, lsl #16       entry RAM + 0x200
    0xd2800003, // movz x3, #0
    0xd4000002, // hvc #0
    0x52800829, // movz w9, #'A'
    0x140000f8, // b common (0x400)
  ]);
  words.set([0x52800849 /* movz w9, #'B' */, 0x1400007f /* b common */], 0x200 / 4);
  words.set(
    [
      0xd2a12001, // common: movz x1, #0x0900, lsl #16   UART
      0xd2a80004, // movz x4, #0x4000, lsl #16             RAM
      0xd2802586, // movz x6, #300
      0xd2807d07, // 1: movz x7, #1000
      0xf10004e7, // 2: subs x7, x7, #1
      0x54ffffe1, // b.ne 2b
      0xb9000029, // str w9, [x1]                          the letter
      0xf10004c6, // subs x6, x6, #1
      0x54ffff61, // b.ne 1b
      0xd53be048, // mrs x8, cntvct_el0
      0xb9000428, // str w8, [x1, #4]                      the counter
      0x7101053f, // cmp w9, #'A'
      0x540000e1, // b.ne 4f
      0xb9430085, // 3: ldr w5, [x4, #0x300]
      0x34ffffe5, // cbz w5, 3b
      0xd2800100, // movz x0, #8
      0xf2b08000, // movk x0, #0x8400, lsl #16             PSCI SYSTEM_OFF
      0xd4000002, // hvc #0
      0x14000000, // b .
      0x52800025, // 4: movz w5, #1
      0xb9030085, // str w5, [x4, #0x300]
      0xd503207f, // 5: wfi
      0x17ffffff, // b 5b
    ],
    0x400 / 4,
  );
  return new Uint8Array(words.buffer);
}

interface Printed {
  /** The letters in the order the guest wrote them. */
  readonly letters: string;
  /** The counter each vCPU read when done, by vCPU id. */
  readonly counters: readonly number[];
}

/** vCPU `vcpu`'s loop: letters and its counter reading into `out`. */
function loop(
  vcpu: Vcpu,
  out: { letters: string[]; counters: number[] },
  slowEvery = 0,
): Promise<VcpuExit> {
  return runUntilNotMmio(
    vcpu,
    (exit) => {
      if (exit.isWrite && exit.physAddr === BigInt(UART))
        out.letters.push(String.fromCharCode(Number(exit.data)));
      if (exit.isWrite && exit.physAddr === BigInt(UART + 4))
        out.counters[vcpu.id] = Number(exit.data & 0xffff_ffffn);
    },
    // A VMM that sometimes takes a while to answer (a device waiting on host I/O).
    (n) =>
      slowEvery > 0 && n % slowEvery === 0 ? new Promise((r) => setTimeout(r, 1)) : undefined,
  );
}

interface HostNoise {
  readonly wakeupTimeoutMs: number;
  /** Start vCPU 0's run loop this long after vCPU 1's. */
  readonly lateStartMs: number;
  /** Keep the event loop busy with timers and immediates during the run. */
  readonly busyEventLoop: boolean;
  /** vCPU 0's VMM answers every this many exits only after a 1 ms timer (0: never). */
  readonly slowVmmEvery: number;
}

async function race(noise: HostNoise): Promise<Printed> {
  const guest = await prepareGuestVm({
    seed: 11,
    program: raceProgram(),
    cpus: 2,
    vm: {
      statusTimeoutMs: 2000,
      runOptions: { wakeupTimeoutMs: noise.wakeupTimeoutMs, scheduling: "turns" },
    },
  });
  assert.ok((await guest.vm.start()).ok);
  const [v0, v1] = guest.vcpus as [Vcpu, Vcpu];

  let busy = noise.busyEventLoop;
  const spin = () => {
    if (!busy) return;
    const until = performance.now() + 0.2;
    while (performance.now() < until);
    setImmediate(spin);
  };
  spin();
  const ticker = noise.busyEventLoop ? setInterval(() => {}, 1) : undefined;

  const out = { letters: [] as string[], counters: [] as number[] };
  const second = loop(v1, out);
  if (noise.lateStartMs > 0) await new Promise((r) => setTimeout(r, noise.lateStartMs));
  const [e0, e1] = await Promise.all([loop(v0, out, noise.slowVmmEvery), second]);
  busy = false;
  clearInterval(ticker);
  for (const e of [e0, e1]) assert.equal(e.reason === "status" && e.status, VmExitStatus.EXITED);
  await guest.close();
  return { letters: out.letters.join(""), counters: out.counters };
}

test("smp turns: two vCPUs interleave and read the clock the same way whatever the host does", async () => {
  const quiet = await race({
    wakeupTimeoutMs: 20_000,
    lateStartMs: 0,
    busyEventLoop: false,
    slowVmmEvery: 0,
  });
  const noisy = await race({
    wakeupTimeoutMs: 1,
    lateStartMs: 30,
    busyEventLoop: true,
    slowVmmEvery: 7,
  });
  assert.equal(quiet.letters.length, 2 * LETTERS);
  assert.equal(noisy.letters, quiet.letters, "the same interleaving");
  assert.deepEqual(noisy.counters, quiet.counters, "the same counter readings");

  // The turns are RUN_SLICE instructions: runs of ~100 letters, alternating A and B.
  const runs = quiet.letters.match(/A+|B+/g) ?? [];
  assert.ok(runs.length >= 6, `the vCPUs took turns: ${runs.map((r) => r[0]! + r.length)}`);
  const perTurn = RUN_SLICE / PER_LETTER;
  for (const r of runs.slice(1, -2))
    assert.ok(Math.abs(r.length - perTurn) <= 1, `a turn printed ${r.length} letters`);
  // The counter counts every vCPU's instructions: both vCPUs read more than they ran.
  for (const c of quiet.counters) assert.ok(c > LETTERS * PER_LETTER, `counter ${c}`);
});
