// A tiny Debian archive served over HTTP on 127.0.0.1 for the fetcher's tests: three
// suites (bookworm, bookworm-updates, and bookworm-security under its own base URL)
// whose InRelease files are signed with a key made for the test, Packages.xz indices
// compressed by xz(1), and real .deb files built by dpkg-deb(1) (references nobody
// here wrote). Tests mutate `files` to break one link of the chain of trust.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as openpgp from "openpgp";

export const haveTools =
  spawnSync("dpkg-deb", ["--version"]).status === 0 && spawnSync("xz", ["--version"]).status === 0;

export const KERNEL_ABI = "9.9.9-2-arm64";
export const MODULES = [
  "virtio/virtio_mmio.ko",
  "block/virtio_blk.ko",
  "char/hw_random/virtio-rng.ko",
  "char/virtio_console.ko",
];
export const VMLINUZ = new TextEncoder().encode(
  "fake arm64 Image for the fetch tests\n".repeat(1000),
);
export const BUSYBOX = new TextEncoder().encode("fake busybox\n".repeat(20000));

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function buildDeb(name: string, version: string, files: Record<string, Uint8Array>): Uint8Array {
  const root = mkdtempSync(join(tmpdir(), "gunyah-fakedeb-"));
  mkdirSync(join(root, "DEBIAN"));
  writeFileSync(
    join(root, "DEBIAN", "control"),
    `Package: ${name}\nVersion: ${version}\nArchitecture: arm64\nMaintainer: test <t@example.org>\nDescription: test\n`,
  );
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  const out = `${root}.deb`;
  const r = spawnSync("dpkg-deb", ["-Zxz", "--root-owner-group", "--build", root, out], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return readFileSync(out);
}

function xz(text: string): Uint8Array {
  const r = spawnSync("xz", ["-c"], { input: text });
  if (r.status !== 0) throw new Error("xz failed");
  return r.stdout;
}

interface Pkg {
  name: string;
  version: string;
  filename: string;
  deb: Uint8Array;
  depends?: string;
  /** Overrides the SHA256 the index gives (a corrupted index entry). */
  claimedSha256?: string;
}

function stanza(p: Pkg): string {
  return [
    `Package: ${p.name}`,
    `Version: ${p.version}`,
    "Architecture: arm64",
    ...(p.depends ? [`Depends: ${p.depends}`] : []),
    `Filename: ${p.filename}`,
    `Size: ${p.deb.length}`,
    `SHA256: ${p.claimedSha256 ?? sha256(p.deb)}`,
    "Description: test",
    "",
  ].join("\n");
}

export interface FakeArchive {
  readonly url: string;
  readonly securityUrl: string;
  /** Path (from the server root) -> content; mutate to corrupt. */
  readonly files: Map<string, Uint8Array>;
  /** Request log: "GET /path" plus " range=..." when a Range header came. */
  readonly requests: string[];
  readonly keyring: Uint8Array;
  readonly kernelDeb: string;
  /** Re-signs a suite's Release text with `key` (default the archive's key). */
  sign(
    base: "debian" | "debian-security",
    suite: string,
    release: string,
    key?: openpgp.PrivateKey,
  ): Promise<void>;
  releaseText(base: "debian" | "debian-security", suite: string, packagesXz: Uint8Array): string;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** The index entry of the kernel .deb claims this SHA256 instead of the real one. */
  readonly badDebSha256?: string;
}

export async function startFakeArchive(opts: FakeOptions = {}): Promise<FakeArchive> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    userIDs: [{ name: "gunyah-ts test archive" }],
    format: "object",
  });
  const files = new Map<string, Uint8Array>();
  const requests: string[] = [];
  const modules = Object.fromEntries(
    MODULES.map((m) => [
      `lib/modules/${KERNEL_ABI}/kernel/drivers/${m}`,
      new TextEncoder().encode(`module ${m}`),
    ]),
  );
  const kernel: Pkg = {
    name: `linux-image-${KERNEL_ABI}`,
    version: "9.9.9-2",
    filename: `pool/updates/main/l/linux/linux-image-${KERNEL_ABI}_9.9.9-2_arm64.deb`,
    deb: buildDeb(`linux-image-${KERNEL_ABI}`, "9.9.9-2", {
      [`boot/vmlinuz-${KERNEL_ABI}`]: VMLINUZ,
      ...modules,
    }),
    ...(opts.badDebSha256 ? { claimedSha256: opts.badDebSha256 } : {}),
  };
  const busybox: Pkg = {
    name: "busybox-static",
    version: "1:1.35.0-4",
    filename: "pool/main/b/busybox/busybox-static_1.35.0-4_arm64.deb",
    deb: buildDeb("busybox-static", "1:1.35.0-4", { "bin/busybox": BUSYBOX }),
  };
  // bookworm has an older metapackage; bookworm-security's newer one picks the kernel.
  const oldMeta: Pkg = {
    name: "linux-image-arm64",
    version: "9.9.9-1",
    filename: "pool/main/l/linux/linux-image-arm64_9.9.9-1_arm64.deb",
    deb: new Uint8Array(1),
    depends: "linux-image-9.9.9-1-arm64 (= 9.9.9-1)",
  };
  const newMeta: Pkg = {
    ...oldMeta,
    version: "9.9.9-2",
    depends: `linux-image-${KERNEL_ABI} (= 9.9.9-2)`,
  };
  const suites: Array<["debian" | "debian-security", string, Pkg[]]> = [
    ["debian", "bookworm", [oldMeta, busybox]],
    ["debian", "bookworm-updates", []],
    ["debian-security", "bookworm-security", [newMeta, kernel]],
  ];
  for (const p of [kernel, busybox])
    files.set(`/${p === kernel ? "debian-security" : "debian"}/${p.filename}`, p.deb);

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const range = req.headers.range;
    requests.push(`GET ${path}${range ? ` range=${range}` : ""}`);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m && Number(m[1]) < body.length) {
      const from = Number(m[1]);
      res.writeHead(206, {
        "content-length": body.length - from,
        "content-range": `bytes ${from}-${body.length - 1}/${body.length}`,
      });
      res.end(Buffer.from(body.subarray(from)));
      return;
    }
    res.writeHead(200, { "content-length": body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  const root = `http://127.0.0.1:${address.port}`;

  const releaseText = (_base: string, suite: string, packagesXz: Uint8Array) =>
    [
      "Origin: Debian",
      `Suite: ${suite}`,
      `Codename: ${suite}`,
      "Valid-Until: Sat, 01 Jan 2100 00:00:00 UTC",
      "SHA256:",
      ` ${sha256(packagesXz)} ${packagesXz.length} main/binary-arm64/Packages.xz`,
      "",
    ].join("\n");
  const sign = async (base: string, suite: string, release: string, key = privateKey) => {
    const message = await openpgp.createCleartextMessage({ text: release });
    const signed = await openpgp.sign({ message, signingKeys: key });
    files.set(`/${base}/dists/${suite}/InRelease`, new TextEncoder().encode(signed));
  };
  for (const [base, suite, pkgs] of suites) {
    const packagesXz = xz(pkgs.map(stanza).join("\n"));
    files.set(`/${base}/dists/${suite}/main/binary-arm64/Packages.xz`, packagesXz);
    await sign(base, suite, releaseText(base, suite, packagesXz));
  }
  return {
    url: `${root}/debian`,
    securityUrl: `${root}/debian-security`,
    files,
    requests,
    keyring: publicKey.write(),
    kernelDeb: `/debian-security/${kernel.filename}`,
    sign,
    releaseText,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
