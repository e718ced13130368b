// End to end: `gunyah run` through every real layer (CPU, hypervisor, RM, host, VMM).
// Guests: the demo guest, and tiny hand-assembled raw images (encodings checked with
// aarch64-linux-gnu-objdump) that fault, that hit an undefined instruction, and that
// loop forever.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";

async function gunyah(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const decoder = new TextDecoder();
  const code = await main(argv, {
    stdout: (d) => void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
    stderr: (t) => void (stderr += t),
    stdin: undefined,
    onInterrupt: undefined,
  });
  /** The verdict: the last line on stderr. */
  const verdict = stderr.trimEnd().split("\n").at(-1) ?? "";
  return { code, stdout, stderr, verdict };
}

function rawGuest(name: string, words: number[]): string {
  const file = join(mkdtempSync(join(tmpdir(), "gunyah-e2e-")), name);
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  writeFileSync(file, bytes);
  return file;
}

const limits = { timeout: 60_000 };

test("gunyah run boots the demo guest through every layer and exits 0", limits, async () => {
  const r = await gunyah(["run", "--timeout", "50"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "", "a clean run prints no diagnostics");
  assert.match(r.stdout, /Hello from the gunyah-ts demo guest!/);
  assert.match(r.stdout, /running at EL1/);
  // The RM edits the tree in place (it adds /hypervisor), so only the address is fixed.
  assert.match(r.stdout, /device tree at 0x40200000, \d+ bytes/);
  assert.match(r.stdout, /API version 1, variant 0x48 \(Gunyah\), 64-bit/);
  assert.match(r.stdout, /PSCI version 1\.1/);
  assert.match(r.stdout, /powering off/);
});

test("--stats reports the vCPU's instructions and exits on stderr at exit", limits, async () => {
  const r = await gunyah(["run", "--stats", "--timeout", "50"]);
  assert.equal(r.code, 0, r.stderr);
  const line = /stats: vCPU 0: ([\d,]+) instructions; exits: (.*)/.exec(r.stderr);
  assert.ok(line, r.stderr);
  assert.ok(Number(line[1]!.replace(/,/g, "")) > 1000, "the demo runs thousands of instructions");
  // hypervisor_identify, PSCI_VERSION, SYSTEM_OFF; every UART byte is a VMMIO exit.
  assert.match(line[2]!, /\bhvc 3\b/);
  assert.match(line[2]!, /\bvmmio [\d,]+/);
  assert.match(r.stderr, /stats: total: [\d,]+ instructions in [\d.]+ s wall = [\d.]+ MIPS/);
});

test(
  "with 4 vCPUs the demo still powers off cleanly: the secondaries, never started, stop too",
  limits,
  async () => {
    const started = Date.now();
    const r = await gunyah(["run", "--cpus", "4", "--timeout", "50"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /powering off/);
    assert.ok(Date.now() - started < 20_000, "no vCPU loop hangs the teardown");
  },
);

test(
  "console input reaches the guest through the PL011 and its output comes back",
  limits,
  async () => {
    // An echo loop: poll UARTFR.RXFE, copy UARTDR to UARTDR, power off on "q".
    const guest = rawGuest("echo.bin", [
      0xd2a12001, // mov  x1, #0x9000000
      0xb9401822, // 1: ldr w2, [x1, #0x18]   UARTFR
      0x3727ffe2, // tbnz w2, #4, 1b          RXFE: nothing yet
      0xb9400023, // ldr  w3, [x1]            UARTDR
      0x12001c63, // and  w3, w3, #0xff
      0x7101c47f, // cmp  w3, #'q'
      0x54000060, // b.eq 2f
      0xb9000023, // str  w3, [x1]
      0x17fffff9, // b    1b
      0x52800100, // 2: mov w0, #0x8
      0x72b08000, // movk w0, #0x8400, lsl #16   PSCI SYSTEM_OFF
      0xd4000002, // hvc  #0
      0x14000000, // b    .
    ]);
    let stdout = "";
    const code = await main(["run", "--kernel", guest, "--timeout", "50"], {
      stdout: (d) => void (stdout += typeof d === "string" ? d : new TextDecoder().decode(d)),
      stderr: () => {},
      onInterrupt: undefined,
      stdin: {
        attach(onData) {
          onData(new TextEncoder().encode("ping\r\n"));
          setTimeout(() => onData(new TextEncoder().encode("later q ignored")), 20);
          return () => {};
        },
      },
    });
    assert.equal(code, 0);
    assert.equal(stdout, "ping\r\nlater ");
  },
);

test(
  "a guest that reads beyond its RAM takes an external abort; --on-unbacked stop names the address",
  limits,
  async () => {
    const guest = rawGuest("fault.bin", [
      0xd2c00021, // mov x1, #0x100000000   (RAM is 0x4000_0000..0x5000_0000)
      0xf9400020, // ldr x0, [x1]
      0x14000000, // b .
    ]);
    // By default the guest gets the abort; with VBAR_EL1 = 0 its vector is unreachable,
    // so the vCPU then stops on the nested abort (guests/conformance covers a handler).
    const r = await gunyah(["run", "--kernel", guest, "--timeout", "50"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.verdict, /^gunyah run: guest crashed/);
    assert.match(
      r.stderr,
      /accessed 0x100000000, which is neither RAM nor a device: external abort injected/,
    );
    const stop = await gunyah([
      "run",
      "--kernel",
      guest,
      "--timeout",
      "50",
      "--on-unbacked",
      "stop",
    ]);
    assert.equal(stop.code, 2, stop.stderr);
    assert.match(
      stop.verdict,
      /^gunyah run: guest faulted: vCPU 0 accessed 0x100000000, which is neither RAM nor a device/,
    );
  },
);

test(
  "an undefined instruction with no exception vector crashes with code 2 and says why",
  limits,
  async () => {
    // udf #0 with VBAR_EL1 = 0 vectors to 0x200, below RAM: an instruction fetch from
    // VMMIO. The hypervisor injects an abort, whose own vector fetch aborts again without
    // retiring anything: it stops the vCPU (FAULT) instead of livelocking as hardware would.
    const guest = rawGuest("udf.bin", [0x00000000]);
    const r = await gunyah(["run", "--kernel", guest, "--timeout", "50"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.verdict,
      /^gunyah run: guest crashed: .*vCPU 0: exception vector unreachable .* at PC 0x200, IPA 0x200/,
    );
  },
);

test("a guest that loops forever is stopped by --timeout: code 124", limits, async () => {
  const guest = rawGuest("loop.bin", [0x14000000]); // b .
  const started = Date.now();
  const r = await gunyah(["run", "--kernel", guest, "--timeout", "1"]);
  assert.equal(r.code, 124, r.stderr);
  assert.equal(r.verdict, "gunyah run: guest did not stop within 1 s (--timeout); stopped it");
  assert.ok(Date.now() - started < 15_000, "stopped promptly");
});
