// End to end: `gunyah run` through every real layer (CPU, hypervisor, RM, host, VMM).
// Guests: the demo guest, and two tiny hand-assembled raw images (encodings checked
// with aarch64-linux-gnu-objdump) that fault and that loop forever.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { openHostPort } from "../../src/cli/host.js";

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
  return { code, stdout, stderr };
}

function rawGuest(name: string, words: number[]): string {
  const file = join(mkdtempSync(join(tmpdir(), "gunyah-e2e-")), name);
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  writeFileSync(file, bytes);
  return file;
}

const hostProbe = await openHostPort({ guestMemory: 256 << 20 });
if (typeof hostProbe !== "string") hostProbe.close?.();
const noHost = typeof hostProbe === "string" ? `host layer not available: ${hostProbe}` : false;

test(
  "gunyah run boots the demo guest through every layer and exits 0",
  { skip: noHost, timeout: 60_000 },
  async () => {
    const r = await gunyah(["run", "--timeout", "50"]);
    assert.equal(r.stderr, "", "no diagnostics");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Hello from the gunyah-ts demo guest!/);
    assert.match(r.stdout, /running at EL1/);
    assert.match(r.stdout, /device tree at 0x40200000, \d+ bytes/);
    assert.match(r.stdout, /API version 1, variant 0x48 \(Gunyah\), 64-bit/);
    assert.match(r.stdout, /PSCI version 1\.1/);
    assert.match(r.stdout, /powering off/);
  },
);

test(
  "a guest that reads beyond its RAM ends with code 2 and says where",
  { skip: noHost, timeout: 60_000 },
  async () => {
    const guest = rawGuest("fault.bin", [
      0xd2c00021, // mov x1, #0x100000000   (RAM is 0x4000_0000..0x5000_0000)
      0xf9400020, // ldr x0, [x1]
      0x14000000, // b .
    ]);
    const r = await gunyah(["run", "--kernel", guest, "--timeout", "50"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^gunyah run: guest faulted: vCPU 0 accessed 0x100000000, which is neither RAM nor a device/,
    );
  },
);

test(
  "an undefined instruction with no exception vector crashes the guest: code 2",
  { skip: noHost, timeout: 60_000 },
  async () => {
    const guest = rawGuest("udf.bin", [0x00000000]); // udf #0, VBAR_EL1 unset
    const r = await gunyah(["run", "--kernel", guest, "--timeout", "50"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^gunyah run: guest (crashed|faulted)/);
  },
);

test(
  "a guest that loops forever is stopped by --timeout: code 124",
  { skip: noHost, timeout: 60_000 },
  async () => {
    const guest = rawGuest("loop.bin", [0x14000000]); // b .
    const started = Date.now();
    const r = await gunyah(["run", "--kernel", guest, "--timeout", "1"]);
    assert.equal(r.code, 124, r.stderr);
    assert.equal(r.stderr, "gunyah run: guest did not stop within 1 s (--timeout); stopped it\n");
    assert.ok(Date.now() - started < 15_000, "stopped promptly");
  },
);
