// `gunyah fetch debian`: Debian 12's current arm64 kernel and busybox-static from a
// Debian mirror, verified as apt verifies them (InRelease signature -> SHA256 of the
// Packages index -> SHA256 of each .deb), unpacked in Node, and the busybox initramfs
// images built, into a cache folder laid out as `.assets` always was (cache-dir.ts).
// The kernel is the one the metapackage linux-image-arm64 depends on, newest across
// bookworm, bookworm-updates and bookworm-security, the version `apt-get install
// linux-image-arm64:arm64` would pick on a Debian 12 machine.

import { readFile, rmdir } from "node:fs/promises";
import { join } from "node:path";
import {
  newest,
  parsePackages,
  parseRelease,
  readKeyring,
  verifyInRelease,
  type PackageEntry,
} from "./archive.js";
import { DebianFiles } from "./cache-dir.js";
import { debData, extractFiles, xzStream } from "./deb.js";
import { NetworkError, downloadVerified, fetchText } from "./http.js";
import { DEBIAN_IMAGES, buildInitramfs, type KernelModule } from "./initramfs.js";
import {
  cacheIsIntact,
  readManifest,
  removeQuietly,
  writeAtomically,
  writeManifest,
  type Manifest,
  type SuiteIndex,
} from "./manifest.js";
import type { Progress } from "./progress.js";

export const DEFAULT_MIRROR = "https://deb.debian.org/debian";
export const DEFAULT_SECURITY_MIRROR = "https://deb.debian.org/debian-security";
const PACKAGES_INDEX = "main/binary-arm64/Packages.xz";
const KEYRING_URL = new URL("../../../keys/debian-archive-keyring.gpg", import.meta.url);

/** The virtio drivers Debian builds as modules, under lib/modules/<abi>/kernel/drivers/. */
export const VIRTIO_MODULES = [
  "virtio/virtio_mmio.ko",
  "block/virtio_blk.ko",
  "char/hw_random/virtio-rng.ko",
  "char/virtio_console.ko",
];

export interface FetchOptions {
  readonly dir: string;
  readonly mirror?: string;
  readonly securityMirror?: string;
  /** Trusted archive keys (binary OpenPGP); default Debian's, shipped in keys/. */
  readonly keyring?: Uint8Array;
  readonly progress: Progress;
  readonly now?: () => Date;
}

export type FetchResult =
  | { readonly status: "fetched" | "current"; readonly manifest: Manifest }
  | { readonly status: "offline"; readonly manifest: Manifest; readonly reason: string };

interface Suite {
  readonly base: string;
  readonly name: string;
}

export interface Located extends PackageEntry {
  readonly base: string;
}

const wantedPackage = (name: string) =>
  name === "linux-image-arm64" ||
  name === "busybox-static" ||
  /^linux-image-\d\S*-arm64$/.test(name);

export async function fetchDebian(o: FetchOptions): Promise<FetchResult> {
  const previous = await readManifest(o.dir);
  let current: Resolved;
  try {
    current = await resolveCurrent(o, previous);
  } catch (e) {
    if (e instanceof NetworkError && previous && (await cacheIsIntact(o.dir, previous)))
      return { status: "offline", manifest: previous, reason: e.message };
    throw e;
  }
  const { kernel, busybox, indices } = current;
  const checked = (o.now?.() ?? new Date()).toISOString();
  if (
    previous &&
    previous.kernel.sha256 === kernel.sha256 &&
    previous.busybox.sha256 === busybox.sha256 &&
    (await cacheIsIntact(o.dir, previous))
  ) {
    const manifest = { ...previous, checked, indices };
    await writeManifest(o.dir, manifest);
    return { status: "current", manifest };
  }
  const manifest = await install(o, kernel, busybox, previous, checked, indices);
  return { status: "fetched", manifest };
}

export interface Resolved {
  readonly kernel: Located;
  readonly busybox: Located;
  readonly indices: Record<string, SuiteIndex>;
}

/** Reads the suites' signed indices and picks the current kernel and busybox. */
export async function resolveCurrent(o: FetchOptions, previous?: Manifest): Promise<Resolved> {
  const mirror = (o.mirror ?? DEFAULT_MIRROR).replace(/\/+$/, "");
  const security = (o.securityMirror ?? DEFAULT_SECURITY_MIRROR).replace(/\/+$/, "");
  const suites: Suite[] = [
    { base: mirror, name: "bookworm" },
    { base: mirror, name: "bookworm-updates" },
    { base: security, name: "bookworm-security" },
  ];
  const keys = await readKeyring(o.keyring ?? new Uint8Array(await readFile(KEYRING_URL)));
  const indices: Record<string, SuiteIndex> = {};
  const candidates: Located[] = [];
  for (const suite of suites) {
    const index = await readSuite(suite, keys, previous?.indices[suite.name], o);
    indices[suite.name] = index;
    candidates.push(...index.entries.map((p) => ({ ...p, base: suite.base })));
  }
  return { ...resolve(candidates), indices };
}

/** One suite's wanted Packages entries: from the cache when the signed index is unchanged. */
async function readSuite(
  suite: Suite,
  keys: Awaited<ReturnType<typeof readKeyring>>,
  cached: SuiteIndex | undefined,
  o: FetchOptions,
): Promise<SuiteIndex> {
  const url = `${suite.base}/dists/${suite.name}/InRelease`;
  const text = await fetchText(url);
  const verified = await verifyInRelease(text, keys);
  if (!verified.ok) throw new Error(`${url}: ${verified.reason}`);
  const release = parseRelease(verified.text);
  if (typeof release === "string") throw new Error(`${url}: ${release}`);
  if (release.suite !== suite.name && release.codename !== suite.name)
    throw new Error(`${url}: signed for suite "${release.suite}", not ${suite.name}`);
  const now = o.now?.() ?? new Date();
  if (release.validUntil && release.validUntil < now)
    throw new Error(`${url}: expired on ${release.validUntil.toISOString()} (a stale mirror?)`);
  const listed = release.sha256.get(PACKAGES_INDEX);
  if (!listed) throw new Error(`${url}: lists no ${PACKAGES_INDEX}`);
  if (cached && cached.packagesSha256 === listed.sha256) return cached;

  const partial = join(o.dir, ".partial", `${suite.name}_Packages.xz`);
  o.progress.note(`reading ${suite.name}'s package index`);
  await downloadVerified(
    `${suite.base}/dists/${suite.name}/${PACKAGES_INDEX}`,
    partial,
    listed,
    o.progress,
    `${suite.name} Packages.xz`,
  );
  const xz = await readFile(partial);
  const text2 = await new Response(xzStream(xz)).text();
  await removeQuietly(partial);
  return { packagesSha256: listed.sha256, entries: parsePackages(text2, wantedPackage) };
}

function resolve(candidates: readonly Located[]): { kernel: Located; busybox: Located } {
  const pick = (name: string) => newest(candidates, name) as Located | undefined;
  const meta = pick("linux-image-arm64");
  if (!meta) throw new Error("no linux-image-arm64 in the package indices");
  // "linux-image-6.1.0-41-arm64 (= 6.1.158-1)": the first alternative of the first kernel.
  const dep = meta.depends
    .split(/[,|]/)
    .map((d) => d.trim().split(/\s/)[0] ?? "")
    .find((d) => /^linux-image-\d/.test(d));
  if (!dep) throw new Error(`linux-image-arm64 ${meta.version} depends on no kernel package`);
  const kernel = pick(dep);
  if (!kernel) throw new Error(`${dep} (linux-image-arm64's dependency) is in no index`);
  const busybox = pick("busybox-static");
  if (!busybox) throw new Error("no busybox-static in the package indices");
  return { kernel, busybox };
}

async function downloadDeb(o: FetchOptions, p: Located): Promise<Uint8Array> {
  const base = p.filename.split("/").at(-1) ?? p.name;
  const path = join(o.dir, ".partial", base);
  await downloadVerified(`${p.base}/${p.filename}`, path, p, o.progress, base);
  const bytes = new Uint8Array(await readFile(path));
  await removeQuietly(path);
  return bytes;
}

async function unpack(o: FetchOptions, p: Located, want: (path: string) => boolean) {
  const deb = await downloadDeb(o, p);
  o.progress.note(`unpacking ${p.name} ${p.version}`);
  const data = debData(deb);
  if (typeof data === "string") throw new Error(`${p.filename}: ${data}`);
  return extractFiles(data, want);
}

const moduleWanted = (path: string) =>
  /^lib\/modules\/[^/]+\/kernel\/drivers\//.test(path) &&
  VIRTIO_MODULES.some((m) => path.endsWith(`/drivers/${m}`));

async function install(
  o: FetchOptions,
  kernel: Located,
  busybox: Located,
  previous: Manifest | undefined,
  checked: string,
  indices: Record<string, SuiteIndex>,
): Promise<Manifest> {
  const dir = o.dir;
  const files: Record<string, string> = {};
  const reuse = async (rel: string) => new Uint8Array(await readFile(join(dir, rel)));
  const keepBusybox =
    previous?.busybox.sha256 === busybox.sha256 && (await cacheIsIntact(dir, previous));
  const keepKernel =
    previous?.kernel.sha256 === kernel.sha256 && (await cacheIsIntact(dir, previous));

  let busyboxBytes: Uint8Array;
  if (keepBusybox) busyboxBytes = await reuse(DebianFiles.busybox);
  else {
    const got = (await unpack(o, busybox, (p) => p === "bin/busybox")).get("bin/busybox");
    if (!got) throw new Error(`${busybox.filename} holds no bin/busybox`);
    busyboxBytes = got;
  }

  let image: Uint8Array;
  let modules: KernelModule[];
  if (keepKernel) {
    image = await reuse(DebianFiles.kernel);
    modules = await Promise.all(
      VIRTIO_MODULES.map(async (m) => {
        const name = m.split("/").at(-1) ?? m;
        return { name, data: await reuse(join(DebianFiles.modules, name)) };
      }),
    );
  } else {
    const got = await unpack(o, kernel, (p) => /^boot\/vmlinuz-/.test(p) || moduleWanted(p));
    const vmlinuz = [...got].find(([p]) => p.startsWith("boot/vmlinuz-"))?.[1];
    if (!vmlinuz) throw new Error(`${kernel.filename} holds no boot/vmlinuz-*`);
    image = vmlinuz;
    modules = [];
    for (const m of VIRTIO_MODULES) {
      const data = [...got].find(([p]) => p.endsWith(`/drivers/${m}`))?.[1];
      if (!data) throw new Error(`${kernel.filename} holds no ${m}`);
      modules.push({ name: m.split("/").at(-1) ?? m, data });
    }
  }

  o.progress.note("building the initramfs images");
  const put = async (rel: string, bytes: Uint8Array, mode?: number) => {
    files[rel] = await writeAtomically(join(dir, rel), bytes, mode);
  };
  await put(DebianFiles.busybox, busyboxBytes, 0o755);
  await put(DebianFiles.kernel, image);
  for (const m of modules) await put(join(DebianFiles.modules, m.name), m.data);
  for (const [name, spec] of Object.entries(DEBIAN_IMAGES)) {
    const rel = DebianFiles.initrds[name as keyof typeof DEBIAN_IMAGES];
    const bytes = buildInitramfs({
      busybox: busyboxBytes,
      ...(spec.modules ? { modules } : {}),
      ...(spec.run !== undefined ? { run: spec.run } : {}),
    });
    await put(rel, bytes);
  }
  await put(DebianFiles.version, new TextEncoder().encode(`${kernel.name}\n`));
  const manifest: Manifest = {
    format: 1,
    checked,
    kernel: { package: kernel.name, version: kernel.version, sha256: kernel.sha256 },
    busybox: { package: busybox.name, version: busybox.version, sha256: busybox.sha256 },
    files,
    indices,
  };
  await writeManifest(dir, manifest);
  await rmdir(join(dir, ".partial")).catch(() => {}); // only when empty: a .part may resume
  return manifest;
}
