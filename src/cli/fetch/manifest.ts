// The record of what a `gunyah fetch` cache holds (manifest.json): the packages its
// files came from with their SHA256, the SHA256 of every file it wrote, and per suite
// the signed Packages index's hash with the few entries read from it, so an unchanged
// index is not downloaded again. Written last and atomically: a cache without a
// manifest, or whose files do not match it, is not current.

import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PackageEntry } from "./archive.js";
import { sha256File } from "./http.js";

export interface PackageRecord {
  readonly package: string;
  readonly version: string;
  readonly sha256: string;
}

export interface SuiteIndex {
  readonly packagesSha256: string;
  readonly entries: readonly PackageEntry[];
}

export interface Manifest {
  readonly format: 1;
  /** When the mirror was last asked (ISO 8601). */
  readonly checked: string;
  readonly kernel: PackageRecord;
  readonly busybox: PackageRecord;
  /** Cache-relative path -> SHA256 of every file the fetch wrote. */
  readonly files: Readonly<Record<string, string>>;
  readonly indices: Readonly<Record<string, SuiteIndex>>;
}

export const MANIFEST = "manifest.json";

export async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Partial<Manifest>;
    if (m.format !== 1 || !m.kernel || !m.busybox || !m.files || !m.indices) return undefined;
    return m as Manifest;
  } catch {
    return undefined; // none yet, or unreadable: start over
  }
}

/** Every file the manifest lists is there with the SHA256 it recorded. */
export async function cacheIsIntact(dir: string, m: Manifest): Promise<boolean> {
  if (Object.keys(m.files).length === 0) return false;
  for (const [rel, sha256] of Object.entries(m.files)) {
    try {
      if ((await sha256File(join(dir, rel))) !== sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Writes through a temporary file and a rename; returns the SHA256 of `bytes`. */
export async function writeAtomically(
  path: string,
  bytes: Uint8Array,
  mode = 0o644,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, bytes, { mode });
    await rename(tmp, path);
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  }
  return createHash("sha256").update(bytes).digest("hex");
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeAtomically(
    join(dir, MANIFEST),
    new TextEncoder().encode(`${JSON.stringify(m, null, 1)}\n`),
  );
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true });
}
