// A virtio-blk disk backed by a file (the VMM's BlockStore, src/vmm/virtio/block-store.ts):
// opened once, read and written with positioned synchronous I/O. Node-only, so it lives
// here and reaches the VMM through virtioDeviceSpecs' `openDisk`.

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { err, ok, type Result } from "../lib/result.js";
import type { BlockStore } from "../vmm/index.js";

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A disk image file; `readOnly` opens it without write access. */
export function fileStore(path: string, readOnly: boolean): Result<BlockStore, string> {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, readOnly ? "r" : "r+");
    size = fstatSync(fd).size;
  } catch (e) {
    return err(`cannot open ${path}: ${message(e)}`);
  }
  const io = <T>(f: () => T): Result<T, string> => {
    try {
      return ok(f());
    } catch (e) {
      return err(message(e));
    }
  };
  return ok({
    size,
    readOnly,
    read: (o: number, n: number) =>
      io(() => {
        const buf = new Uint8Array(n);
        let done = 0;
        while (done < n) {
          const got = readSync(fd, buf, done, n - done, o + done);
          if (got === 0) throw new Error("short read (file shrank?)");
          done += got;
        }
        return buf;
      }),
    write: (o: number, b: Uint8Array) => {
      if (readOnly) return err("read-only");
      return io(() => {
        let done = 0;
        while (done < b.length) done += writeSync(fd, b, done, b.length - done, o + done);
      });
    },
    flush: () => (readOnly ? ok() : io(() => fsyncSync(fd))),
    close: () => {
      try {
        closeSync(fd);
      } catch {
        // Closing at teardown: nothing left to report to.
      }
    },
  });
}
