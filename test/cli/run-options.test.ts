// The option spellings people know (QEMU's -m and -smp, crosvm's --mem), `--config`
// JSON files (Firecracker's and crosvm's habit) and `--guest debian`, through `main`
// with a fake host that records what the VMM asked of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { parseRunConfig } from "../../src/cli/run-config.js";
import { defaultCacheDir } from "../../src/cli/fetch/cache-dir.js";
import { setLogSink } from "../../src/lib/log.js";
import { FakeHypervisor, uartWrites } from "../vmm/fake-host.js";

setLogSink(() => {});

async function cli(argv: string[]) {
  let stderr = "";
  let guestMemory = 0;
  const host = new FakeHypervisor([
    [...uartWrites("hi\n"), { status: 2, exitType: 1 }],
    [...uartWrites(""), { status: 2, exitType: 1 }],
  ]);
  const code = await main(argv, {
    stdout: () => {},
    stderr: (t) => void (stderr += t),
    openHost: async (o) => {
      guestMemory = o.guestMemory;
      return host;
    },
    stdin: undefined,
    onInterrupt: undefined,
  });
  return { code, stderr, guestMemory, vcpus: host.vm?.vcpus.length ?? 0 };
}

const tmp = () => mkdtempSync(join(tmpdir(), "gunyah-opts-"));
const MiB = 1 << 20;

test("-m and --mem are --memory, --smp is --cpus; giving both spellings is refused", async () => {
  for (const argv of [
    ["-m", "64M"],
    ["--mem", "64"],
    ["--memory", "64M"],
  ]) {
    const r = await cli(["run", ...argv]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.guestMemory, 64 * MiB, argv.join(" "));
  }
  const smp = await cli(["run", "--smp", "2"]);
  assert.equal(smp.code, 0, smp.stderr);
  assert.equal(smp.vcpus, 2);
  const both = await cli(["run", "-m", "64M", "--memory", "128M"]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /cannot be used with option '--memory/);
  const defaults = await cli(["run"]);
  assert.equal(defaults.guestMemory, 256 * MiB, "256M when nothing says otherwise");
  assert.equal(defaults.vcpus, 1);
});

test("--config takes the settings from JSON; the command line overrides the file", async () => {
  const dir = tmp();
  const file = join(dir, "vm.json");
  writeFileSync(file, JSON.stringify({ memory: "96M", cpus: 2, timeout: 30 }));
  const r = await cli(["run", "--config", file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.guestMemory, 96 * MiB);
  assert.equal(r.vcpus, 2);
  const over = await cli(["run", "--config", file, "-m", "48M"]);
  assert.equal(over.guestMemory, 48 * MiB);
  assert.equal(over.vcpus, 2);
  writeFileSync(file, JSON.stringify({ memory: 80 }));
  assert.equal((await cli(["run", "--config", file])).guestMemory, 80 * MiB, "a number is MiB");
});

test("--config: unknown keys, wrong types, bad JSON and a missing file are named", async () => {
  const dir = tmp();
  const file = join(dir, "vm.json");
  const cases: Array<[string, RegExp]> = [
    ['{"mem": "64M"}', /unknown key "mem" \(did you mean "memory"\?\); known keys: kernel,/],
    ['{"frobnicate": 1}', /unknown key "frobnicate"; known keys/],
    ['{"cpus": true}', /key "cpus" must be a string or a number/],
    ['{"rng": "yes"}', /key "rng" must be true or false/],
    ['{"disk": "a.img"}', /key "disk" must be an array of strings/],
    ['{"memory": "lots"}', /--memory: "lots" is not a size/],
    ["[1, 2]", /the file must hold one JSON object/],
    ["{memory: 1}", /not valid JSON/],
  ];
  for (const [text, message] of cases) {
    writeFileSync(file, text);
    const r = await cli(["run", "--config", file]);
    assert.equal(r.code, 1, text);
    assert.match(r.stderr, message, text);
    assert.equal(r.stderr.split("\n").length, 2, "one line");
  }
  const missing = await cli(["run", "--config", join(dir, "nope.json")]);
  assert.match(missing.stderr, /^gunyah run: --config .*nope\.json: no such file\n$/);
  assert.deepEqual(parseRunConfig({ "virtio-console": true, disk: ["a,ro"] }), {
    virtioConsole: true,
    disk: ["a,ro"],
  });
});

test("--guest debian boots the kernel and a named initramfs from the fetch cache", async () => {
  const dir = tmp();
  const missing = await cli(["run", "--guest", "debian", "--assets", dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no Debian kernel in .*: run `gunyah fetch --dir .*` first/);
  assert.match((await cli(["run", "--guest", "arch"])).stderr, /unknown guest "arch"/);
  mkdirSync(join(dir, "linux"));
  // A raw "kernel" is enough for the fake host; the initrd names select the images.
  writeFileSync(join(dir, "linux", "Image"), Uint8Array.of(0x1f, 0x20, 0x03, 0xd5));
  writeFileSync(join(dir, "linux", "initramfs-test.cpio.gz"), "x");
  const r = await cli(["run", "--guest", "debian", "--assets", dir, "--initrd", "test"]);
  assert.equal(r.code, 0, r.stderr);
  const noShell = await cli(["run", "--guest", "debian", "--assets", dir]);
  assert.match(noShell.stderr, /initramfs\.cpio\.gz: no such file/, "shell is the default");
});

test("the cache folder follows each platform's convention", () => {
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/x/c" }, "linux", "/home/u"), "/x/c/gunyah");
  assert.equal(defaultCacheDir({}, "linux", "/home/u"), "/home/u/.cache/gunyah");
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "rel" }, "linux", "/h"), "/h/.cache/gunyah");
  assert.equal(defaultCacheDir({}, "darwin", "/Users/u"), "/Users/u/Library/Caches/gunyah");
  assert.match(defaultCacheDir({ LOCALAPPDATA: "C:\\L" }, "win32", "C:\\U"), /gunyah.Cache$/);
});
