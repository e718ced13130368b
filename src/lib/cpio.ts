// A writer for the "newc" cpio format (Linux's initramfs format,
// Documentation/driver-api/early-userspace/buffer-format.rst): 110-byte ASCII headers,
// names and bodies padded to 4 bytes, ended by a TRAILER!!! entry.

export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | {
      readonly kind: "file";
      readonly path: string;
      readonly data: Uint8Array;
      readonly mode?: number;
    }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | {
      readonly kind: "char";
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const encoder = new TextEncoder();

function hex8(value: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/** Serializes the entries (in order) into one newc archive, uncompressed. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let inode = 1;
  const push = (path: string, mode: number, body: Uint8Array, rdev = [0, 0]) => {
    if (path.length === 0 || path.startsWith("/") || path.includes("\0")) {
      throw new RangeError(`cpio: bad entry path ${JSON.stringify(path)}`);
    }
    const name = encoder.encode(`${path}\0`);
    const fields = [inode++, mode, 0, 0, 1, 0, body.length, 0, 0, rdev[0] ?? 0, rdev[1] ?? 0];
    const header = `070701${fields.map(hex8).join("")}${hex8(name.length)}${hex8(0)}`;
    chunks.push(encoder.encode(header), name, new Uint8Array(pad4(header.length + name.length)));
    chunks.push(body, new Uint8Array(pad4(body.length)));
  };
  for (const e of entries) {
    switch (e.kind) {
      case "dir":
        push(e.path, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0));
        break;
      case "file":
        push(e.path, S_IFREG | (e.mode ?? 0o644), e.data);
        break;
      case "symlink":
        push(e.path, S_IFLNK | 0o777, encoder.encode(e.target));
        break;
      case "char":
        push(e.path, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), [e.major, e.minor]);
        break;
    }
  }
  push("TRAILER!!!", 0, new Uint8Array(0));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
