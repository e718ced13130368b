// What backs a virtio-blk disk: the BlockStore interface, and its in-memory form (a
// Uint8Array: tests, scratch disks, a disk image a browser page was given). The file
// form lives with the CLI (src/cli/disk-file.ts), so the VMM runs where there are no
// files. Host I/O errors become Results, so a failing disk is an IOERR to the guest,
// never an exception in the VMM.

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

/** A disk held in memory (tests, scratch disks, a browser page's disk image). */
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
