// `gunyah run --rtc-base` (and the `rtc-base` key of --config): the guest RTC's time at
// start, parsed strictly (a malformed value stops the run before any VM exists), and
// by default the host's clock, handed to the VMM as a time base in ns.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { parseRtcBase, rtcTimeBase } from "../../src/vmm/index.js";
import { setLogSink } from "../../src/lib/log.js";
import { FakeHypervisor, uartWrites } from "../vmm/fake-host.js";

setLogSink(() => {});
const S = 1_000_000_000n;

test("parseRtcBase: ISO 8601 dates and UTC or offset times, to ns since the epoch", () => {
  // Reference values from the platform's own clock arithmetic (Date.UTC), not ours.
  const utc = (...a: [number, number, number, number?, number?, number?]) =>
    BigInt(Date.UTC(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0)) * 1_000_000n;
  assert.equal(parseRtcBase("2021-03-04T05:06:07Z"), utc(2021, 3, 4, 5, 6, 7));
  assert.equal(parseRtcBase("2021-03-04T05:06:07Z"), 1_614_834_367n * S);
  assert.equal(parseRtcBase("2021-03-04"), utc(2021, 3, 4));
  assert.equal(parseRtcBase("2021-03-04T05:06Z"), utc(2021, 3, 4, 5, 6));
  assert.equal(parseRtcBase("2021-03-04T07:06:07+02:00"), utc(2021, 3, 4, 5, 6, 7));
  assert.equal(parseRtcBase("2021-03-04T05:06:07.25Z"), utc(2021, 3, 4, 5, 6, 7) + S / 4n);
  assert.equal(parseRtcBase("1970-01-01T00:00:00Z"), 0n);
  assert.equal(parseRtcBase("2106-02-07T06:28:15Z"), 0xffff_ffffn * S);
  assert.equal(parseRtcBase("2024-02-29"), utc(2024, 2, 29));
});

test("parseRtcBase: malformed or out-of-range values are one-line errors", () => {
  for (const bad of [
    "",
    "now",
    "yesterday",
    "2021-3-4",
    "2021-03-04T05:06:07", // no zone: ambiguous
    "2021-03-04 05:06:07Z",
    "2021-02-30",
    "2023-02-29",
    "2021-13-01",
    "2021-03-04T25:00:00Z",
    "1614834367",
    "2021-03-04T05:06:07Zjunk",
  ]) {
    const r = parseRtcBase(bad);
    assert.equal(typeof r, "string", bad);
    assert.match(r as string, /^--rtc-base ".*": not an ISO 8601/, bad);
  }
  assert.match(parseRtcBase("1969-12-31T23:59:59Z") as string, /outside what the PL031 can show/);
  assert.match(parseRtcBase("2106-02-07T06:28:16Z") as string, /outside what the PL031 can show/);
});

test("rtcTimeBase: the fixed base, else the host's clock in ns", () => {
  assert.equal(
    rtcTimeBase(5n, () => 1234),
    5n,
  );
  assert.equal(
    rtcTimeBase(undefined, () => 1234),
    1_234_000_000n,
  );
});

async function run(argv: string[]) {
  let stderr = "";
  const host = new FakeHypervisor([[...uartWrites(""), { status: 2, exitType: 1 }]]);
  const code = await main(argv, {
    stdout: () => {},
    stderr: (t) => void (stderr += t),
    openHost: async () => host,
    stdin: undefined,
    onInterrupt: undefined,
  });
  return { code, stderr, timeBases: host.vm?.timeBases ?? [] };
}

test("gunyah run: --rtc-base reaches the VMM; without it, the host clock at start", async () => {
  const fixed = await run(["run", "--rtc-base", "2021-03-04T05:06:07Z"]);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.deepEqual(fixed.timeBases, [1_614_834_367n * S]);
  const before = BigInt(Date.now()) * 1_000_000n;
  const clock = await run(["run"]);
  const after = BigInt(Date.now()) * 1_000_000n;
  assert.equal(clock.code, 0, clock.stderr);
  assert.equal(clock.timeBases.length, 1);
  assert.ok(clock.timeBases[0]! >= before && clock.timeBases[0]! <= after);
});

test("gunyah run: a bad --rtc-base or rtc-base key fails before any VM is created", async () => {
  const bad = await run(["run", "--rtc-base", "2021-02-30"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^gunyah run: --rtc-base "2021-02-30": not an ISO 8601 UTC time/);
  assert.deepEqual(bad.timeBases, []);
  const dir = mkdtempSync(join(tmpdir(), "gunyah-rtc-"));
  const file = join(dir, "vm.json");
  writeFileSync(file, JSON.stringify({ "rtc-base": "2021-03-04" }));
  const fromFile = await run(["run", "--config", file]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.deepEqual(fromFile.timeBases, [1_614_816_000n * S]);
  writeFileSync(file, JSON.stringify({ rtcBase: "2021-03-04" }));
  const misspelt = await run(["run", "--config", file]);
  assert.match(misspelt.stderr, /unknown key "rtcBase" \(did you mean "rtc-base"\?\)/);
  writeFileSync(file, JSON.stringify({ "rtc-base": 1614816000 }));
  const number = await run(["run", "--config", file]);
  assert.match(number.stderr, /key "rtc-base" must be a string/);
});
