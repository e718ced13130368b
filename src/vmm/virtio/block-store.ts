// What backs a virtio-blk disk: a file (opened once, read and written with positioned
// synchronous I/O) or a Uint8Array. Host I/O errors become Results, so a failing disk
// is an IOERR to the guest, never an exception in the VMM.

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { err, ok, type Result } from "../../lib/result.js";

export interface BlockStore {
  /** Size in bytes (the disk's capacity is size / 512, rounded down). */
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, length: number): Result<Uint8Array, string>;
  write(offset: number, bytes: Uint8Array): Result<void, string>;
  flush(): Result<void, string>;
  close(): void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A disk held in memory (tests, scratch disks). */
export function memoryStore(bytes: Uint8Array, readOnly = false): BlockStore {
  const inRange = (o: number, n: number) => o >= 0 && n >= 0 && o + n <= bytes.length;
  return {
    size: bytes.length,
    readOnly,
    read: (o, n) => (inRange(o, n) ? ok(bytes.slice(o, o + n)) : err("beyond the end")),
    write: (o, b) => {
      if (readOnly) return err("read-only");
      if (!inRange(o, b.length)) return err("beyond the end");
      bytes.set(b, o);
      return ok();
    },
    flush: () => ok(),
    close: () => {},
  };
}

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
