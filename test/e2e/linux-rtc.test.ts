// The guest's real-time clock end to end, with Debian's stock kernel and busybox: the
// hypervisor's vRTC (a PL031 the RM generates into the guest's tree) read by Linux's
// rtc-pl031 driver, by `date` and by busybox's `hwclock`.
//  1. `--rtc-base` fixes the time: date prints that day, hwclock reads it back.
//  2. The issue's "done means": as an unprivileged user with neither apt-get nor dpkg
//     on PATH, `gunyah run --guest debian -m 512M` on the assets `gunyah fetch` caches
//     boots to a shell where `date` prints today's date (the host's clock at start).
// Two boots of a minute or more each; GUNYAH_E2E_LINUX=0 skips them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import { DebianFiles } from "../../src/cli/fetch/cache-dir.js";
import { buildInitramfs, DEBIAN_IMAGES } from "../../src/cli/fetch/initramfs.js";

const root = resolve(import.meta.dirname, "..", "..");
const assets = join(root, ".assets");
const kernel = join(assets, DebianFiles.kernel);
const busyboxPath = join(assets, DebianFiles.busybox);
const skip =
  (process.env.GUNYAH_E2E_LINUX === "0" && "GUNYAH_E2E_LINUX=0") ||
  (!(existsSync(kernel) && existsSync(busyboxPath)) &&
    "SKIPPED: no .assets: run `node bin/gunyah.js fetch --dir .assets`");

const tmp = () => mkdtempSync(join(tmpdir(), "gunyah-rtc-"));
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

test(
  "--rtc-base 2021-03-04T05:06:07Z: Linux's date and hwclock read the vRTC",
  { skip, timeout: 30 * 60_000 },
  async () => {
    const initrd = join(tmp(), "rtc.cpio.gz");
    writeFileSync(
      initrd,
      buildInitramfs({
        busybox: readFileSync(busyboxPath),
        run: [
          'echo "DATE=$(date -u +%Y-%m-%d)"',
          'echo "EPOCH=$(date -u +%s)"',
          'echo "HWCLOCK=$(hwclock -r -u)"; echo "HWCLOCK-RC=$?"',
          "poweroff -f",
        ].join("; "),
      }),
    );
    let stdout = "";
    let stderr = "";
    const decoder = new TextDecoder();
    const code = await main(
      [
        "run",
        "--kernel",
        kernel,
        "--initrd",
        initrd,
        "--append",
        "console=ttyAMA0 panic=-1 cryptomgr.notests=1",
        "--rtc-base",
        "2021-03-04T05:06:07Z",
        "--timeout",
        "1700",
      ],
      {
        stdout: (d) =>
          void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
        stderr: (t) => void (stderr += t),
        stdin: undefined,
        onInterrupt: undefined,
      },
    );
    assert.equal(code, 0, `${stderr}\n${stdout.slice(-3000)}`);
    assert.match(stdout, /rtc-pl031 9010000\.vrtc: registered as rtc0/);
    assert.match(stdout, /^DATE=2021-03-04\r?$/m);
    // The guest clock advances with the instructions retired (62.5 M a guest second):
    // a few seconds after the base by the time /init runs.
    const epoch = Number(/^EPOCH=(\d+)/m.exec(stdout)?.[1]);
    assert.ok(epoch >= 1_614_834_367 && epoch < 1_614_834_367 + 60, `EPOCH=${epoch}`);
    assert.match(stdout, /^HWCLOCK=Thu Mar {2}4 05:0\d:\d\d 2021 {2}0\.000000 seconds\r?$/m);
    assert.match(stdout, /^HWCLOCK-RC=0\r?$/m);
  },
);

/** A cache folder as `gunyah fetch` leaves it: the kernel, busybox and the shell image. */
function fetchedAssets(): string {
  const dir = tmp();
  mkdirSync(join(dir, "linux"));
  symlinkSync(kernel, join(dir, DebianFiles.kernel));
  const busybox = readFileSync(busyboxPath);
  writeFileSync(join(dir, DebianFiles.busybox), busybox);
  const shell = buildInitramfs({ busybox, run: DEBIAN_IMAGES.shell.run });
  writeFileSync(join(dir, DebianFiles.initrds.shell), shell);
  // Also the child's HOME and TMPDIR, so the unprivileged user must be able to write.
  chmodSync(dir, 0o777);
  return dir;
}

test(
  "done means: no apt-get or dpkg, not root: `gunyah run --guest debian -m 512M`, date prints today",
  { skip, timeout: 30 * 60_000 },
  async () => {
    const dir = fetchedAssets();
    const emptyBin = tmp();
    chmodSync(emptyBin, 0o755);
    const setpriv = spawnSync("/bin/sh", ["-c", "command -v setpriv"], {
      encoding: "utf8",
    }).stdout.trim();
    const asNobody = process.getuid?.() === 0 && setpriv !== "";
    const node = [process.execPath, "--import", "tsx", join(root, "bin", "gunyah-dev.ts")];
    const argv = [...node, "run", "--guest", "debian", "-m", "512M", "--assets", dir];
    const cmd = asNobody
      ? [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", ...argv]
      : argv;
    const dayBefore = utcDay(Date.now());
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
      (done) => {
        const child = spawn(cmd[0]!, cmd.slice(1), {
          cwd: root,
          env: { PATH: emptyBin, HOME: dir, TMPDIR: dir },
          stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        let typed = false;
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          // The shell is up: type as a user would.
          if (!typed && /busybox userland up/.test(stdout)) {
            typed = true;
            child.stdin.write('echo "TODAY=$(date -u +%Y-%m-%d)"; poweroff -f\n');
          }
        });
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (status) => done({ status, stdout, stderr }));
      },
    );
    const dayAfter = utcDay(Date.now());
    assert.equal(
      spawnSync("/bin/sh", ["-c", "command -v apt-get dpkg"], {
        env: { PATH: emptyBin },
        encoding: "utf8",
      }).stdout,
      "",
    );
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
    const today = /TODAY=(\d{4}-\d{2}-\d{2})/.exec(r.stdout)?.[1];
    // Around midnight the day may turn during the boot: either day is right.
    assert.ok(
      today === dayBefore || today === dayAfter,
      `date printed ${today}, expected ${dayBefore}${dayAfter !== dayBefore ? ` or ${dayAfter}` : ""}`,
    );
    if (!asNobody) console.log("# note: not root or no setpriv: ran as the current user");
  },
);
