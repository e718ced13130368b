// The archive formats the fetcher parses: Debian's version order checked against
// dpkg --compare-versions (the reference), deb822 stanzas, and the ar reader on
// hostile input; plus the real mirror (skipped when it cannot be reached).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { compareVersions, parsePackages, parseRelease } from "../../../src/cli/fetch/archive.js";
import { parseAr } from "../../../src/cli/fetch/deb.js";
import { resolveCurrent } from "../../../src/cli/fetch/debian.js";
import { progressReporter } from "../../../src/cli/fetch/progress.js";

const haveDpkg = spawnSync("dpkg", ["--version"]).status === 0;

test(
  "version order matches dpkg --compare-versions",
  { skip: !haveDpkg && "SKIPPED: no dpkg to compare with" },
  () => {
    const versions = [
      "1.0",
      "1.0-1",
      "1.0~rc1",
      "1.0~rc1-1",
      "1:0.9",
      "1.0+deb12u1",
      "1.0a",
      "1.0.1",
      "6.1.158-1",
      "6.1.192-3",
      "6.1.76-1",
      "1:1.35.0-4+deb12u1+b1",
      "1:1.35.0-4",
      "2.0~~",
      "2.0~",
      "10",
      "9",
      "1.0-1.1",
      "1.0-1~bpo1",
    ];
    for (const a of versions)
      for (const b of versions) {
        const ours = Math.sign(compareVersions(a, b));
        const lt = spawnSync("dpkg", ["--compare-versions", a, "lt", b]).status === 0;
        const gt = spawnSync("dpkg", ["--compare-versions", a, "gt", b]).status === 0;
        assert.equal(ours, lt ? -1 : gt ? 1 : 0, `${a} vs ${b}`);
      }
  },
);

test("Release and Packages stanzas: SHA256 list, continuation lines, unsafe file names", () => {
  const release = parseRelease(
    "Suite: bookworm\nCodename: bookworm\nValid-Until: Sat, 01 Jan 2100 00:00:00 UTC\nSHA256:\n " +
      `${"a".repeat(64)} 42 main/binary-arm64/Packages.xz\n junk line\n`,
  );
  assert.ok(typeof release !== "string");
  assert.deepEqual(release.sha256.get("main/binary-arm64/Packages.xz"), {
    sha256: "a".repeat(64),
    size: 42,
  });
  assert.equal(release.validUntil?.getUTCFullYear(), 2100);
  const sha = "b".repeat(64);
  const text = [
    `Package: a\nVersion: 1\nFilename: pool/a.deb\nSize: 10\nSHA256: ${sha}\nDescription: x\n more\n`,
    `Package: b\nVersion: 1\nFilename: ../../etc/passwd\nSize: 10\nSHA256: ${sha}\n`,
    `Package: c\nVersion: 1\nFilename: pool/c.deb\nSize: -1\nSHA256: ${sha}\n`,
    `Package: d\nVersion: 1\nFilename: pool/d.deb\nSize: 1\nSHA256: nothex\n`,
  ].join("\n");
  assert.deepEqual(
    parsePackages(text, () => true).map((p) => p.name),
    ["a"],
    "path escapes, bad sizes and hashes are dropped",
  );
});

test("the ar reader refuses truncated and hostile archives without reading out of bounds", () => {
  const enc = new TextEncoder();
  const member = (name: string, size: string, data: string) =>
    `${name.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${size.padEnd(10)}\`\n${data}`;
  const good = enc.encode(
    `!<arch>\n${member("debian-binary", "4", "2.0\n")}${member("x", "1", "a\n")}`,
  );
  const r = parseAr(good);
  assert.ok(Array.isArray(r));
  assert.deepEqual(
    r.map((m) => [m.name, new TextDecoder().decode(m.data)]),
    [
      ["debian-binary", "2.0\n"],
      ["x", "a"],
    ],
  );
  assert.match(String(parseAr(enc.encode(`!<arch>\n${member("x", "999", "ab")}`))), /runs past/);
  assert.match(
    String(parseAr(enc.encode(`!<arch>\n${member("x", "-1", "")}`))),
    /bad ar member size/,
  );
  assert.match(String(parseAr(enc.encode("!<arch>\nshort"))), /truncated/);
  assert.equal(parseAr(enc.encode("hello")), "not an ar archive");
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (tail, cut) => {
      const bytes = new Uint8Array([...good.subarray(0, Math.min(cut, good.length)), ...tail]);
      const out = parseAr(bytes);
      if (Array.isArray(out))
        for (const m of out)
          assert.ok(m.data.byteOffset + m.data.length <= bytes.byteOffset + bytes.length);
    }),
    { numRuns: 300 },
  );
});

test(
  "Debian's real mirror: signed suites verify with the shipped keys and name a kernel",
  { timeout: 120_000 },
  async (t) => {
    const probe = await fetch("https://deb.debian.org/debian/dists/bookworm/InRelease", {
      method: "HEAD",
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (!probe?.ok) return t.skip("SKIPPED: deb.debian.org cannot be reached");
    const r = await resolveCurrent({
      dir: "/nonexistent",
      progress: progressReporter(() => {}, false),
    });
    assert.match(r.kernel.name, /^linux-image-6\.1\.0-\d+-arm64$/);
    assert.match(r.busybox.version, /^1:1\.35\.0-4/);
    const apt = spawnSync("apt-cache", ["depends", "linux-image-arm64:arm64"], {
      encoding: "utf8",
    });
    const aptKernel = /Depends: (linux-image-\d\S*)/
      .exec(apt.stdout ?? "")?.[1]
      ?.replace(/:arm64$/, "");
    if (aptKernel) assert.equal(r.kernel.name, aptKernel, "the kernel apt would install here");
  },
);
