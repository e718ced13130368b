// The PL031 real-time clock a guest sees, against QEMU's: guests/rtc-pl031 (bare metal,
// C) reads the ID registers, RTCCR and RTCDR, masks and clears the interrupt, loads a
// new time through RTCLR and reads it back, and prints it all. Under gunyah run the
// PL031 is the hypervisor's vRTC (src/hyp/vrtc.ts, Gunyah's hyp/vm/vrtc_pl031); under
// qemu-system-aarch64 (virt, cortex-a57) QEMU's own PL031 at the same address. Both
// start from 2021-03-04T05:06:07Z (`--rtc-base`, QEMU's `-rtc base=`), so the clock's
// values are compared as "within a few seconds of the base", the rest byte for byte.
// One known difference is Gunyah's: its PeriphID2 is 0x04 (VRTC_PL031_PERIPH_ID
// 0x00041031, revision 0) where QEMU's model says 0x14 (revision 1); Linux's AMBA
// bus matches the PL031 on the low 20 bits, which agree. The committed binary must
// match a fresh build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { gunyahRunIn, TIERS, type Tier } from "../tiers.js";

const dir = join(import.meta.dirname, "..", "..", "guests", "rtc-pl031");
const committed = join(dir, "rtc-pl031.bin");
const haveCross = spawnSync("aarch64-linux-gnu-gcc", ["--version"]).status === 0;
const haveQemu = spawnSync("qemu-system-aarch64", ["--version"]).status === 0;
const BASE = "2021-03-04T05:06:07Z";
const BASE_SECONDS = 1_614_834_367;
/** How far from the base the first RTCDR read may be (boot time, a loaded machine). */
const SLACK_SECONDS = 10;

function build(): { bin: string; elf: string } {
  const out = mkdtempSync(join(tmpdir(), "gunyah-rtc-pl031-"));
  const elf = join(out, "rtc-pl031.elf");
  const r = spawnSync("sh", [join(dir, "build.sh"), out], {
    encoding: "utf8",
    env: { ...process.env, RTC_PL031_ELF: elf },
  });
  assert.equal(r.status, 0, r.stderr);
  return { bin: join(out, "rtc-pl031.bin"), elf };
}

const lines = (s: string) => s.replace(/\r\n/g, "\n");

async function runOurs(kernel: string, tier: Tier): Promise<string> {
  const r = await gunyahRunIn(
    tier,
    ["run", "--kernel", kernel, "--rtc-base", BASE, "--timeout", "100"],
    async (argv) => {
      let stdout = "";
      let stderr = "";
      const decoder = new TextDecoder();
      const code = await main(argv, {
        stdout: (d) =>
          void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
        stderr: (t) => void (stderr += t),
        stdin: undefined,
        onInterrupt: undefined,
      });
      return { code, stdout, stderr };
    },
  );
  assert.equal(r.code, 0, r.stderr);
  return lines(r.stdout);
}

function runQemu(elf: string): string {
  const q = spawnSync(
    "qemu-system-aarch64",
    ["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "64", "-nodefaults"]
      .concat(["-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"])
      .concat(["-rtc", `base=${BASE.replace(/Z$/, "")}`, "-kernel", elf]),
    { encoding: "utf8", timeout: 90_000 },
  );
  assert.equal(q.status, 0, `qemu: ${q.stderr}`);
  return lines(q.stdout);
}

/** The first RTCDR read, checked against the base and replaced by a fixed token. */
function normalise(out: string, who: string): string {
  const m = /^rtcdr: (\d+)$/m.exec(out);
  assert.ok(m, `${who} printed rtcdr`);
  const seconds = Number(m[1]);
  assert.ok(
    seconds >= BASE_SECONDS && seconds <= BASE_SECONDS + SLACK_SECONDS,
    `${who}: rtcdr ${seconds} is not within ${SLACK_SECONDS} s after ${BASE_SECONDS}`,
  );
  return out.replace(/^rtcdr: \d+$/m, "rtcdr: <base + a few seconds>");
}

for (const tier of TIERS)
  test(
    `rtc-pl031 under gunyah run: the vRTC's registers (${tier})`,
    { timeout: 120_000 },
    async () => {
      const out = normalise(await runOurs(committed, tier), "gunyah-ts");
      assert.equal(
        out,
        [
          "rtc-pl031 guest",
          "periph id: 31 10 04 00",
          "pcell id: 0d f0 05 b1",
          "rtccr: 1",
          "rtcdr: <base + a few seconds>",
          "rtcimsc: 0",
          "rtcris: 0",
          "rtcmis: 0",
          "rtclr: 1000000000",
          "rtcdr after load: 1000000000",
          "rtcdr later: 1000000000",
          "rtcmis: 0",
          "rtc-pl031 done",
          "",
        ].join("\n"),
      );
    },
  );

test(
  "build.sh reproduces the committed rtc-pl031.bin byte for byte",
  { skip: !haveCross && "no aarch64-linux-gnu-gcc" },
  () => {
    const { bin } = build();
    assert.ok(
      readFileSync(bin).equals(readFileSync(committed)),
      "guests/rtc-pl031/rtc-pl031.bin is stale: run guests/rtc-pl031/build.sh and commit it",
    );
  },
);

test(
  "rtc-pl031 prints the same under gunyah run (both CPU tiers) and qemu-system-aarch64",
  {
    timeout: 120_000,
    skip: (!haveCross || !haveQemu) && "needs aarch64-linux-gnu-gcc and qemu-system-aarch64",
  },
  async () => {
    const { bin, elf } = build();
    const reference = normalise(runQemu(elf), "qemu");
    assert.match(reference, /rtc-pl031 done\n/, "QEMU ran the guest to the end");
    // Gunyah's revision nibble (see the top of this file), the only expected difference.
    const expected = reference.replace("periph id: 31 10 14 00", "periph id: 31 10 04 00");
    assert.notEqual(expected, reference, "QEMU still reports PL031 revision 1");
    for (const tier of TIERS)
      assert.equal(normalise(await runOurs(bin, tier), "gunyah-ts"), expected, tier);
  },
);
