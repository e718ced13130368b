// Downloads for `gunyah fetch`: through undici with the proxy the usual environment
// variables name (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, lower case too), into a ".part"
// file that an interrupted run resumes with a Range request (or restarts when the
// server ignores it), checked against the SHA256 the signed index gave before it is
// renamed into place, so the cache never holds a half-written or unverified file.

import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { EnvHttpProxyAgent, fetch } from "undici";
import type { Progress } from "./progress.js";

let agent: EnvHttpProxyAgent | undefined;
function dispatcher(): EnvHttpProxyAgent {
  // Timeouts so a stalled mirror is an error, not a hang.
  agent ??= new EnvHttpProxyAgent({ headersTimeout: 30_000, bodyTimeout: 60_000 });
  return agent;
}

/** A failure to reach the server at all (no route, DNS, refused): "offline". */
export class NetworkError extends Error {}

function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

async function get(url: string, headers: Record<string, string> = {}) {
  try {
    return await fetch(url, { headers, dispatcher: dispatcher() });
  } catch (e) {
    throw new NetworkError(`${url}: ${describe(e)}`);
  }
}

/** A small file (an InRelease) in memory. */
export async function fetchText(url: string): Promise<string> {
  const r = await get(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${r.statusText}`);
  return r.text();
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

export interface Expected {
  readonly sha256: string;
  readonly size: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads `url` to `dest` (via `dest.part`) and checks size and SHA256. A mismatch
 * removes the partial file and throws; nothing is left at `dest` unless it verified.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  expected: Expected,
  progress: Progress,
  label: string,
): Promise<void> {
  const part = `${dest}.part`;
  await mkdir(dirname(part), { recursive: true });
  let have = await sizeOf(part);
  if (have > expected.size) {
    await rm(part, { force: true });
    have = 0;
  }
  if (have < expected.size) {
    const r = await get(url, have > 0 ? { range: `bytes=${have}-` } : {});
    if (r.status !== 200 && r.status !== 206)
      throw new Error(`${url}: HTTP ${r.status} ${r.statusText}`);
    const resumed = r.status === 206 && have > 0;
    if (!resumed) have = 0; // the server sent the whole file: start again
    if (!r.body) throw new Error(`${url}: an empty response`);
    const task = progress.start(label, expected.size, have);
    const body = Readable.fromWeb(r.body);
    body.on("data", (c: Buffer) => task.advance(c.length));
    try {
      await pipeline(body, createWriteStream(part, { flags: resumed ? "a" : "w" }));
    } catch (e) {
      task.fail();
      throw new NetworkError(`${url}: ${describe(e)} (run again to resume)`);
    }
    task.done();
  }
  const size = await sizeOf(part);
  const sha256 = await sha256File(part);
  if (size !== expected.size || sha256 !== expected.sha256) {
    await rm(part, { force: true });
    throw new Error(
      `${url}: verification failed: got ${size} bytes with SHA256 ${sha256}, the signed index says ` +
        `${expected.size} bytes with SHA256 ${expected.sha256}; the file was removed`,
    );
  }
  await rename(part, dest);
}
