// `gunyah fetch` against a fake Debian archive on 127.0.0.1 (fake-archive.ts): the
// chain of trust (InRelease signature -> Packages SHA256 -> .deb SHA256), each broken
// link a clear error with nothing half-written left, resume after an interruption,
// "up to date" and offline runs, and a run as an unprivileged user with apt-get and
// dpkg absent from PATH.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as openpgp from "openpgp";
import { fetchDebian, type FetchOptions } from "../../../src/cli/fetch/debian.js";
import { progressReporter } from "../../../src/cli/fetch/progress.js";
import {
  BUSYBOX,
  KERNEL_ABI,
  VMLINUZ,
  haveTools,
  startFakeArchive,
  type FakeArchive,
} from "./fake-archive.js";

const skip = !haveTools && "SKIPPED: needs dpkg-deb and xz to build the fake archive";
const root = resolve(import.meta.dirname, "..", "..", "..");
let archive: FakeArchive;

before(async () => {
  if (!skip) archive = await startFakeArchive();
});
after(async () => {
  await archive?.close();
});

function options(dir: string, log: string[] = []): FetchOptions {
  return {
    dir,
    mirror: archive.url,
    securityMirror: archive.securityUrl,
    keyring: archive.keyring,
    progress: progressReporter((t) => void log.push(t), false),
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), "gunyah-fetch-"));

/** Every file under `dir`, relative. */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test(
  "fetches, verifies and unpacks the newest kernel across suites; a second run does nothing",
  { skip },
  async () => {
    const dir = tmp();
    const log: string[] = [];
    const r = await fetchDebian(options(dir, log));
    assert.equal(r.status, "fetched");
    assert.equal(
      r.manifest.kernel.package,
      `linux-image-${KERNEL_ABI}`,
      "bookworm-security's metapackage wins",
    );
    assert.deepEqual(readFileSync(join(dir, "linux/Image")), Buffer.from(VMLINUZ));
    assert.deepEqual(readFileSync(join(dir, "busybox")), Buffer.from(BUSYBOX));
    assert.equal(readFileSync(join(dir, "linux/VERSION"), "utf8"), `linux-image-${KERNEL_ABI}\n`);
    assert.deepEqual(
      listing(dir),
      [
        "busybox",
        "linux/Image",
        "linux/VERSION",
        "linux/initramfs-test.cpio.gz",
        "linux/initramfs-virtio.cpio.gz",
        "linux/initramfs.cpio.gz",
        "linux/modules/virtio-rng.ko",
        "linux/modules/virtio_blk.ko",
        "linux/modules/virtio_console.ko",
        "linux/modules/virtio_mmio.ko",
        "manifest.json",
      ],
      "no .part or temporary file is left",
    );
    const virtio = gunzipSync(readFileSync(join(dir, "linux/initramfs-virtio.cpio.gz"))).toString(
      "latin1",
    );
    assert.match(
      virtio,
      /insmod \/lib\/modules\/virtio_mmio\.ko\ninsmod/,
      "virtio_mmio loads first",
    );
    assert.match(virtio, /module block\/virtio_blk\.ko/, "the module bytes from the .deb");
    assert.match(
      gunzipSync(readFileSync(join(dir, "linux/initramfs-test.cpio.gz"))).toString("latin1"),
      /GUNYAH-LINUX-OK/,
    );
    assert.ok(
      log.some((l) => /downloading linux-image-9\.9\.9-2-arm64_9\.9\.9-2_arm64\.deb/.test(l)),
      log.join(""),
    );

    archive.requests.length = 0;
    const again = await fetchDebian(options(dir));
    assert.equal(again.status, "current");
    assert.deepEqual(
      archive.requests.filter((q) => !q.endsWith("/InRelease")),
      [],
      "only the InRelease files are asked for when nothing changed",
    );
  },
);

test("an interrupted download resumes with a Range request", { skip }, async () => {
  const dir = tmp();
  const deb = archive.files.get(archive.kernelDeb)!;
  mkdirSync(join(dir, ".partial"));
  const part = join(dir, ".partial", `linux-image-${KERNEL_ABI}_9.9.9-2_arm64.deb.part`);
  writeFileSync(part, deb.subarray(0, 1000));
  archive.requests.length = 0;
  const r = await fetchDebian(options(dir));
  assert.equal(r.status, "fetched");
  assert.ok(
    archive.requests.includes(`GET ${archive.kernelDeb} range=bytes=1000-`),
    archive.requests.join("\n"),
  );
  assert.ok(!existsSync(part));
});

test("a signature by an unknown key is refused; nothing is written", { skip }, async () => {
  const dir = tmp();
  const saved = archive.files.get("/debian/dists/bookworm/InRelease")!;
  const { privateKey } = await openpgp.generateKey({
    userIDs: [{ name: "mallory" }],
    format: "object",
  });
  const text = (
    await openpgp.readCleartextMessage({ cleartextMessage: new TextDecoder().decode(saved) })
  ).getText();
  await archive.sign("debian", "bookworm", text, privateKey);
  try {
    await assert.rejects(
      fetchDebian(options(dir)),
      /bookworm\/InRelease: no valid signature by a Debian archive key/,
    );
    assert.deepEqual(listing(dir), []);
  } finally {
    archive.files.set("/debian/dists/bookworm/InRelease", saved);
  }
});

test("a tampered InRelease (text changed after signing) is refused", { skip }, async () => {
  const dir = tmp();
  const saved = archive.files.get("/debian/dists/bookworm/InRelease")!;
  const tampered = new TextDecoder().decode(saved).replace("Suite: bookworm", "Suite: bookwork");
  archive.files.set("/debian/dists/bookworm/InRelease", new TextEncoder().encode(tampered));
  try {
    await assert.rejects(fetchDebian(options(dir)), /no valid signature/);
  } finally {
    archive.files.set("/debian/dists/bookworm/InRelease", saved);
  }
});

test(
  "a Packages index whose SHA256 differs from InRelease's is refused and removed",
  { skip },
  async () => {
    const dir = tmp();
    const path = "/debian/dists/bookworm/main/binary-arm64/Packages.xz";
    const saved = archive.files.get(path)!;
    const evil = Uint8Array.from(saved); // a copy (Buffer.slice is a view)
    evil[evil.length - 20] = (evil[evil.length - 20] ?? 0) ^ 1;
    archive.files.set(path, evil);
    try {
      await assert.rejects(
        fetchDebian(options(dir)),
        /Packages\.xz: verification failed: got \d+ bytes with SHA256 [0-9a-f]{64}, the signed index says .*; the file was removed/,
      );
      assert.deepEqual(listing(dir), [], "no partial index left");
    } finally {
      archive.files.set(path, saved);
    }
  },
);

test(
  "a .deb whose SHA256 differs from the Packages index is refused and removed",
  { skip },
  async () => {
    const bad = await startFakeArchive({ badDebSha256: "0".repeat(64) });
    const dir = tmp();
    try {
      await assert.rejects(
        fetchDebian({
          ...options(dir),
          mirror: bad.url,
          securityMirror: bad.securityUrl,
          keyring: bad.keyring,
        }),
        /linux-image-9\.9\.9-2-arm64_9\.9\.9-2_arm64\.deb: verification failed/,
      );
      assert.ok(
        !listing(dir).some((f) => f.includes(".part") || f.startsWith("linux/")),
        listing(dir).join(),
      );
      assert.ok(!existsSync(join(dir, "manifest.json")));
    } finally {
      await bad.close();
    }
  },
);

test("without network a complete cache is reported and accepted", { skip }, async () => {
  const dir = tmp();
  await fetchDebian(options(dir));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as { port: number }).port;
  await new Promise((r) => closed.close(r));
  const nowhere = `http://127.0.0.1:${port}/debian`;
  const offline = await fetchDebian({ ...options(dir), mirror: nowhere });
  assert.equal(offline.status, "offline");
  if (offline.status === "offline") assert.match(offline.reason, /ECONNREFUSED/);
  await assert.rejects(fetchDebian({ ...options(tmp()), mirror: nowhere }), /ECONNREFUSED/);
});

test(
  "the command runs as an unprivileged user with no apt-get or dpkg on PATH",
  { skip, timeout: 120_000 },
  async () => {
    const dir = tmp();
    chmodSync(dir, 0o777);
    const keyring = join(dir, "..", `keyring-${process.pid}.pgp`);
    writeFileSync(keyring, archive.keyring);
    const emptyBin = tmp();
    // Looked up now: the child's PATH has nothing on it.
    const setpriv = spawnSync("/bin/sh", ["-c", "command -v setpriv"], {
      encoding: "utf8",
    }).stdout.trim();
    const asNobody = process.getuid?.() === 0 && setpriv !== "";
    const node = [process.execPath, "--import", "tsx", join(root, "bin", "gunyah-dev.ts")];
    const argv = [
      ...node,
      "fetch",
      "--dir",
      dir,
      "--mirror",
      archive.url,
      "--security-mirror",
      archive.securityUrl,
      "--keyring",
      keyring,
    ];
    const cmd = asNobody
      ? [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", ...argv]
      : argv;
    // Asynchronously: the fake archive is served from this process's event loop.
    const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
      const child = spawn(cmd[0]!, cmd.slice(1), {
        cwd: root,
        env: { PATH: emptyBin, HOME: dir, TMPDIR: dir },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (status) => done({ status, stderr }));
    });
    assert.equal(
      spawnSync("/bin/sh", ["-c", "command -v apt-get dpkg"], {
        env: { PATH: emptyBin },
        encoding: "utf8",
      }).stdout,
      "",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /^gunyah fetch: downloading busybox-static_1\.35\.0-4_arm64\.deb \(/m,
      "plain lines off a terminal",
    );
    assert.match(
      r.stderr,
      /ready: linux-image-9\.9\.9-2-arm64 9\.9\.9-2 and busybox-static 1:1\.35\.0-4/,
    );
    assert.ok(existsSync(join(dir, "linux", "initramfs.cpio.gz")));
    if (!asNobody) console.log("# note: not root or no setpriv: ran as the current user");
  },
);
