// The parts of a Debian archive `gunyah fetch` reads, as apt reads them: a suite's
// InRelease (an OpenPGP cleartext-signed Release file, verified against Debian's
// archive keys), the SHA256 list in it, the deb822 stanzas of a Packages index, and
// Debian's version ordering (Debian Policy 5.6.12, dpkg's verrevcmp) to pick the
// newest candidate across suites.

import * as openpgp from "openpgp";

/** One file the Release file lists under SHA256. */
export interface IndexedFile {
  readonly sha256: string;
  readonly size: number;
}

export interface ReleaseFile {
  readonly suite: string;
  readonly codename: string;
  readonly validUntil?: Date;
  readonly sha256: ReadonlyMap<string, IndexedFile>;
}

/** Reads Debian's archive keyring (binary OpenPGP keys, keys/debian-archive-keyring.gpg). */
export async function readKeyring(bytes: Uint8Array): Promise<openpgp.PublicKey[]> {
  return openpgp.readKeys({ binaryKeys: bytes });
}

/**
 * The signed text of an InRelease file, if at least one of its signatures verifies
 * with one of `keys` (apt's rule: a suite is trusted when a known key signed it;
 * signatures by keys we do not hold are ignored). Otherwise the reason.
 */
export async function verifyInRelease(
  text: string,
  keys: readonly openpgp.PublicKey[],
): Promise<{ ok: true; text: string; keyId: string } | { ok: false; reason: string }> {
  let message: openpgp.CleartextMessage;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: text });
  } catch (e) {
    return { ok: false, reason: `not an OpenPGP signed message (${(e as Error).message})` };
  }
  const result = await openpgp.verify({ message, verificationKeys: [...keys] });
  const failures: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
      return { ok: true, text: result.data, keyId: s.keyID.toHex() };
    } catch (e) {
      failures.push(`${s.keyID.toHex()}: ${(e as Error).message}`);
    }
  }
  return {
    ok: false,
    reason: `no valid signature by a Debian archive key (${failures.join("; ") || "unsigned"})`,
  };
}

/** The fields of a deb822 paragraph (Release files, Packages stanzas); continuation lines joined. */
export function parseStanzas(text: string): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (current.size > 0) out.push(current);
      current = new Map();
      last = undefined;
    } else if (line.startsWith(" ") || line.startsWith("\t")) {
      if (last !== undefined) current.set(last, `${current.get(last) ?? ""}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue; // not a field: ignored, as apt does with junk lines
      last = line.slice(0, colon);
      current.set(last, line.slice(colon + 1).trim());
    }
  }
  if (current.size > 0) out.push(current);
  return out;
}

export function parseRelease(text: string): ReleaseFile | string {
  const fields = parseStanzas(text)[0];
  if (!fields) return "an empty Release file";
  const sha256 = new Map<string, IndexedFile>();
  for (const line of (fields.get("SHA256") ?? "").split("\n")) {
    const m = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) sha256.set(m[3]!, { sha256: m[1]!, size: Number(m[2]) });
  }
  const validUntil = fields.get("Valid-Until");
  const until = validUntil !== undefined ? new Date(validUntil) : undefined;
  if (until !== undefined && Number.isNaN(until.getTime()))
    return `a Release file with a bad Valid-Until "${validUntil}"`;
  return {
    suite: fields.get("Suite") ?? "",
    codename: fields.get("Codename") ?? "",
    ...(until ? { validUntil: until } : {}),
    sha256,
  };
}

/** A package as a Packages index describes it. */
export interface PackageEntry {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly depends: string;
}

/** The stanzas of a Packages index whose name `wanted` accepts; malformed ones are skipped. */
export function parsePackages(text: string, wanted: (name: string) => boolean): PackageEntry[] {
  const out: PackageEntry[] = [];
  // Split cheaply first: a full parse of every stanza of the main index (50 MB) is slow.
  for (const chunk of text.split("\n\n")) {
    const name = /^Package: (\S+)/m.exec(chunk)?.[1];
    if (name === undefined || !wanted(name)) continue;
    const f = parseStanzas(chunk)[0];
    const version = f?.get("Version");
    const filename = f?.get("Filename");
    const sha256 = f?.get("SHA256");
    const size = Number(f?.get("Size"));
    if (!version || !filename || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    if (!Number.isSafeInteger(size) || size <= 0) continue;
    if (filename.split("/").includes("..") || filename.startsWith("/")) continue;
    out.push({ name, version, filename, sha256, size, depends: f?.get("Depends") ?? "" });
  }
  return out;
}

/** dpkg's character order: letters before non-letters, '~' before everything, even the end. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === "~") return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !/[0-9]/.test(a[i]!)) || (j < b.length && !/[0-9]/.test(b[j]!))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (i < a.length && /[0-9]/.test(a[i]!) && j < b.length && /[0-9]/.test(b[j]!)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /[0-9]/.test(a[i]!)) return 1;
    if (j < b.length && /[0-9]/.test(b[j]!)) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function splitVersion(v: string): [number, string, string] {
  const colon = v.indexOf(":");
  const epoch = colon > 0 ? Number(v.slice(0, colon)) || 0 : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf("-");
  return dash > 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ""];
}

/** < 0, 0 or > 0 as Debian version `a` sorts before, with or after `b`. */
export function compareVersions(a: string, b: string): number {
  const [ea, ua, ra] = splitVersion(a);
  const [eb, ub, rb] = splitVersion(b);
  if (ea !== eb) return ea - eb;
  return compareFragment(ua, ub) || compareFragment(ra, rb);
}

/** The newest entry named `name`, or undefined. */
export function newest(entries: readonly PackageEntry[], name: string): PackageEntry | undefined {
  let best: PackageEntry | undefined;
  for (const e of entries)
    if (e.name === name && (!best || compareVersions(e.version, best.version) > 0)) best = e;
  return best;
}
