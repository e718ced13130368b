// Unpacking a .deb without dpkg (deb(5)): an `ar` archive holding debian-binary
// ("2.0\n"), control.tar.* and data.tar.*; Debian's packages use data.tar.xz. The
// `ar` format is 8 bytes of magic then, per member, a 60-byte text header (name,
// mtime, uid, gid, mode, decimal size, "`\n") and the data padded to an even length.
// That is small enough to parse here with a bounds check on every field (npm's `ar`
// readers are unmaintained); the xz stream goes through xz-decompress (xz-embedded in
// WebAssembly) and the tar through npm's own `tar` parser.

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { Parser, type ReadEntry } from "tar";
import * as xzModule from "xz-decompress";

const AR_MAGIC = "!<arch>\n";
const AR_HEADER = 60;

export interface ArMember {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The members of an ar archive, or why it is not one. */
export function parseAr(bytes: Uint8Array): ArMember[] | string {
  const latin1 = (a: number, b: number) => Buffer.from(bytes.subarray(a, b)).toString("latin1");
  if (bytes.length < AR_MAGIC.length || latin1(0, 8) !== AR_MAGIC) return "not an ar archive";
  const members: ArMember[] = [];
  let at = AR_MAGIC.length;
  while (at < bytes.length) {
    if (at + AR_HEADER > bytes.length) return `a truncated ar header at byte ${at}`;
    if (latin1(at + 58, at + 60) !== "`\n") return `a bad ar header at byte ${at}`;
    const name = latin1(at, at + 16)
      .trimEnd()
      .replace(/\/$/, "");
    const sizeText = latin1(at + 48, at + 58).trim();
    if (!/^\d+$/.test(sizeText)) return `a bad ar member size "${sizeText}"`;
    const size = Number(sizeText);
    const start = at + AR_HEADER;
    if (start + size > bytes.length) return `ar member ${name} runs past the end of the file`;
    members.push({ name, data: bytes.subarray(start, start + size) });
    at = start + size + (size % 2);
  }
  return members;
}

// xz-decompress is a CommonJS bundle whose names Node's ESM loader cannot detect: its
// exports are on the default export when imported from ESM (and named under tsx/CJS).
const { XzReadableStream } =
  (xzModule as unknown as { default?: typeof xzModule }).default ?? xzModule;

/** Decompresses an .xz file held in memory, as a stream. */
export function xzStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new XzReadableStream(new Blob([bytes]).stream());
}

/** The data.tar.xz member of a .deb, checked to be a format-2.0 package. */
export function debData(bytes: Uint8Array): Uint8Array | string {
  const members = parseAr(bytes);
  if (typeof members === "string") return `not a .deb: ${members}`;
  const version = members.find((m) => m.name === "debian-binary");
  if (!version || !Buffer.from(version.data).toString("latin1").startsWith("2."))
    return "not a .deb: no debian-binary 2.x member";
  const data = members.find((m) => m.name.startsWith("data.tar"));
  if (!data) return "not a .deb: no data.tar member";
  if (data.name !== "data.tar.xz") return `unsupported ${data.name} (only data.tar.xz)`;
  return data.data;
}

/**
 * Streams data.tar.xz through xz and tar and returns the regular files `want` asks for
 * (by path without the leading "./"), each in memory; everything else is skipped.
 */
export async function extractFiles(
  dataTarXz: Uint8Array,
  want: (path: string) => boolean,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const pending: Promise<void>[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^\.\//, "");
      if (entry.type !== "File" || !want(path)) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      pending.push(
        new Promise((resolve) =>
          entry.on("end", () => resolve(void files.set(path, Buffer.concat(chunks)))),
        ),
      );
    },
  });
  const xz = xzStream(dataTarXz);
  await pipeline(Readable.fromWeb(xz as WebReadableStream<Uint8Array>), parser);
  await Promise.all(pending);
  return files;
}
