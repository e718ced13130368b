// Files for a Linux boot: what the user picked or dropped (sorted into kernel, initramfs
// and disks by their content) and what the server offers from its fetched assets.

import type { NamedBytes } from "./protocol.js";

export type FileRole = "kernel" | "initrd" | "disk";

/** arm64 Image header: magic "ARM\x64" at offset 56 (Linux Documentation/arch/arm64/booting). */
const ARM64_MAGIC = [0x41, 0x52, 0x4d, 0x64];

const startsWith = (b: Uint8Array, at: number, magic: readonly number[]) =>
  magic.every((m, i) => b[at + i] === m);

/**
 * What a file most likely is: an arm64 Image is a kernel; gzip, xz, zstd or a newc cpio
 * is an initramfs; anything else whose size is whole sectors is a disk image, else a
 * raw kernel binary (entered at its first byte, as `gunyah run --kernel` does).
 */
export function classify(bytes: Uint8Array): FileRole {
  if (startsWith(bytes, 56, ARM64_MAGIC)) return "kernel";
  if (startsWith(bytes, 0, [0x1f, 0x8b])) return "initrd"; // gzip
  if (startsWith(bytes, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a])) return "initrd"; // xz
  if (startsWith(bytes, 0, [0x28, 0xb5, 0x2f, 0xfd])) return "initrd"; // zstd
  if (startsWith(bytes, 0, [0x30, 0x37, 0x30, 0x37, 0x30])) return "initrd"; // "07070"
  return bytes.length > 0 && bytes.length % 512 === 0 ? "disk" : "kernel";
}

export async function readFile(file: File): Promise<NamedBytes> {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

/** What `gunyah web` offers from its assets folder (GET /assets/index.json). */
export interface ServerAssets {
  readonly kernel: string;
  readonly initrds: readonly string[];
  readonly version?: string;
}

/**
 * The server's Debian guest; `{ hint }` when `gunyah web` has none fetched (its 404
 * says what to run); undefined on a static host (no assets route).
 */
export async function serverAssets(): Promise<ServerAssets | { hint: string } | undefined> {
  try {
    const r = await fetch("assets/index.json");
    if (r.status === 404 && r.headers.get("content-type") === "application/json") {
      const body = (await r.json()) as { hint?: unknown };
      return typeof body.hint === "string" ? { hint: body.hint.slice(0, 300) } : undefined;
    }
    if (!r.ok) return undefined;
    const a = (await r.json()) as Partial<ServerAssets>;
    if (typeof a.kernel !== "string" || !Array.isArray(a.initrds)) return undefined;
    return {
      kernel: a.kernel,
      initrds: a.initrds.filter((n): n is string => typeof n === "string"),
      ...(typeof a.version === "string" ? { version: a.version } : {}),
    };
  } catch {
    return undefined; // a static host without the assets route
  }
}

/** Downloads one file the page needs, reporting progress as a fraction (0..1). */
export async function download(
  url: string,
  progress: (fraction: number) => void,
): Promise<NamedBytes> {
  const r = await fetch(url);
  if (!r.ok || !r.body) throw new Error(`${url}: HTTP ${r.status}`);
  const total = Number(r.headers.get("content-length") ?? 0);
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (total > 0) progress(got / total);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { name: url.split("/").pop() ?? url, bytes };
}
