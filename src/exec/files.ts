// Open file descriptions and the descriptor table of a `gunyah exec` process. Files
// are host files (through node:fs, always with an explicit position so that lseek and
// dup'ed descriptors share one offset as Linux's struct file does) or in-process pipes.

import * as fs from "node:fs";
import { Errno, errnoFromHost } from "./errno.js";

export type DirEntry = { readonly name: Buffer; readonly ino: bigint; readonly type: number };

export interface GuestFile {
  /** Bytes read into `dst`, or -errno. `position` given: pread (offset unchanged). */
  read(dst: Uint8Array, position?: number): number;
  write(src: Uint8Array, position?: number): number;
  /** lseek: the new offset or -errno. */
  seek(offset: number, whence: number): number;
  stat(): fs.BigIntStats | number;
  /** Host path, when the file came from one (for *at syscalls and readlink /proc/self/fd). */
  readonly path: string | undefined;
  readonly hostFd: number | undefined;
  statusFlags: number;
  refs: number;
  readDirectory(): readonly DirEntry[] | number;
  dirPosition: number;
  release(): void;
}

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/** Sleeps the thread: the process is single-threaded, so blocking reads may block Node. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** DT_* values of struct linux_dirent64 (include/linux/fs_types.h). */
function direntType(d: fs.Dirent): number {
  if (d.isFIFO()) return 1;
  if (d.isCharacterDevice()) return 2;
  if (d.isDirectory()) return 4;
  if (d.isBlockDevice()) return 6;
  if (d.isFile()) return 8;
  if (d.isSymbolicLink()) return 10;
  if (d.isSocket()) return 12;
  return 0;
}

export class HostFile implements GuestFile {
  refs = 1;
  dirPosition = 0;
  private position = 0;
  private readonly seekable: boolean;
  private entries: DirEntry[] | undefined;

  constructor(
    readonly hostFd: number,
    readonly path: string | undefined,
    public statusFlags: number,
    private readonly ownsFd: boolean,
  ) {
    // Offsets are tracked here (Node has no lseek) for files this process opened. An
    // inherited descriptor (stdio redirected to a file) keeps using the host's own
    // offset, which may not start at 0 (`{ echo a; gunyah exec p; } > out`).
    let seekable = false;
    try {
      const st = fs.fstatSync(hostFd);
      seekable = ownsFd && (st.isFile() || st.isBlockDevice() || st.isDirectory());
    } catch {
      seekable = false;
    }
    this.seekable = seekable;
  }

  get isDirectory(): boolean {
    const st = this.stat();
    return typeof st !== "number" && st.isDirectory();
  }

  read(dst: Uint8Array, position?: number): number {
    for (;;) {
      try {
        const at = position ?? (this.seekable ? this.position : null);
        const n = fs.readSync(this.hostFd, dst, 0, dst.length, at);
        if (position === undefined && this.seekable) this.position += n;
        return n;
      } catch (e) {
        // A non-blocking host stdin (a TTY Node put in O_NONBLOCK): wait, unless the
        // guest itself asked for O_NONBLOCK.
        if ((e as { code?: string }).code === "EAGAIN" && (this.statusFlags & 0o4000) === 0) {
          pause(10);
          continue;
        }
        return -errnoFromHost(e);
      }
    }
  }

  write(src: Uint8Array, position?: number): number {
    let done = 0;
    while (done < src.length) {
      try {
        const append = (this.statusFlags & 0o2000) !== 0;
        const at =
          position !== undefined
            ? position + done
            : this.seekable && !append
              ? this.position
              : null;
        const n = fs.writeSync(this.hostFd, src, done, src.length - done, at);
        done += n;
        if (position === undefined && this.seekable) {
          this.position = append ? Number(fs.fstatSync(this.hostFd).size) : this.position + n;
        }
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") {
          pause(1);
          continue;
        }
        return done > 0 ? done : -errnoFromHost(e);
      }
    }
    return done;
  }

  seek(offset: number, whence: number): number {
    if (!this.seekable) return -Errno.ESPIPE;
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = this.position;
    else if (whence === SEEK_END) {
      const st = this.stat();
      if (typeof st === "number") return -st;
      base = Number(st.size);
    } else return -Errno.EINVAL;
    const next = base + offset;
    if (!Number.isSafeInteger(next) || next < 0) return -Errno.EINVAL;
    this.position = next;
    if (this.entries && next === 0) this.entries = undefined;
    this.dirPosition = this.entries ? Math.min(next, this.entries.length) : next;
    return next;
  }

  stat(): fs.BigIntStats | number {
    try {
      return fs.fstatSync(this.hostFd, { bigint: true });
    } catch (e) {
      return errnoFromHost(e);
    }
  }

  readDirectory(): readonly DirEntry[] | number {
    if (this.entries) return this.entries;
    if (this.path === undefined) return Errno.ENOTDIR;
    try {
      const self = fs.statSync(this.path, { bigint: true });
      const parent = fs.statSync(`${this.path}/..`, { bigint: true });
      const list: DirEntry[] = [
        { name: Buffer.from("."), ino: self.ino, type: 4 },
        { name: Buffer.from(".."), ino: parent.ino, type: 4 },
      ];
      for (const d of fs.readdirSync(this.path, { withFileTypes: true, encoding: "buffer" })) {
        let ino = 0n;
        try {
          ino = fs.lstatSync(Buffer.concat([Buffer.from(`${this.path}/`), d.name]), {
            bigint: true,
          }).ino;
        } catch {
          ino = 0n;
        }
        list.push({ name: d.name, ino, type: direntType(d as unknown as fs.Dirent) });
      }
      this.entries = list;
      return list;
    } catch (e) {
      return errnoFromHost(e);
    }
  }

  release(): void {
    if (this.ownsFd) {
      try {
        fs.closeSync(this.hostFd);
      } catch {
        // Closing can only fail for a descriptor we no longer own; nothing to undo.
      }
    }
  }
}

/** The shared buffer of an in-process pipe (pipe2): both ends live in this process. */
class PipeBuffer {
  chunks: Uint8Array[] = [];
  readers = 1;
  writers = 1;
}

export class PipeEnd implements GuestFile {
  refs = 1;
  dirPosition = 0;
  readonly path = undefined;
  readonly hostFd = undefined;

  private constructor(
    private readonly buffer: PipeBuffer,
    readonly isReader: boolean,
    public statusFlags: number,
  ) {}

  static pair(flags: number): [PipeEnd, PipeEnd] {
    const b = new PipeBuffer();
    return [new PipeEnd(b, true, flags & 0o4000), new PipeEnd(b, false, 1 | (flags & 0o4000))];
  }

  read(dst: Uint8Array, position?: number): number {
    if (!this.isReader) return -Errno.EBADF;
    if (position !== undefined) return -Errno.ESPIPE;
    if (this.buffer.chunks.length === 0) return this.buffer.writers === 0 ? 0 : -Errno.EAGAIN;
    let n = 0;
    while (n < dst.length && this.buffer.chunks.length > 0) {
      const head = this.buffer.chunks[0] as Uint8Array;
      const take = Math.min(head.length, dst.length - n);
      dst.set(head.subarray(0, take), n);
      n += take;
      if (take === head.length) this.buffer.chunks.shift();
      else this.buffer.chunks[0] = head.subarray(take);
    }
    return n;
  }

  write(src: Uint8Array, position?: number): number {
    if (this.isReader) return -Errno.EBADF;
    if (position !== undefined) return -Errno.ESPIPE;
    if (this.buffer.readers === 0) return -Errno.EPIPE;
    this.buffer.chunks.push(src.slice());
    return src.length;
  }

  seek(): number {
    return -Errno.ESPIPE;
  }

  stat(): number {
    return Errno.EOPNOTSUPP; // fstat of a pipe is answered by the syscall layer
  }

  readDirectory(): number {
    return Errno.ENOTDIR;
  }

  get pendingBytes(): number {
    return this.buffer.chunks.reduce((n, c) => n + c.length, 0);
  }

  release(): void {
    if (this.isReader) this.buffer.readers--;
    else this.buffer.writers--;
  }
}

export interface FdSlot {
  readonly file: GuestFile;
  cloexec: boolean;
}

/** RLIMIT_NOFILE's usual soft limit. */
export const MAX_FDS = 1024;

export class FdTable {
  private readonly slots = new Map<number, FdSlot>();

  get(fd: number): GuestFile | undefined {
    return this.slots.get(fd)?.file;
  }

  slot(fd: number): FdSlot | undefined {
    return this.slots.get(fd);
  }

  /** Installs `file` at the lowest free descriptor >= `min`; -EMFILE if none. */
  install(file: GuestFile, cloexec: boolean, min = 0): number {
    for (let fd = min; fd < MAX_FDS; fd++) {
      if (!this.slots.has(fd)) {
        this.slots.set(fd, { file, cloexec });
        return fd;
      }
    }
    return -Errno.EMFILE;
  }

  /** dup2/dup3: closes whatever `fd` held first. */
  installAt(fd: number, file: GuestFile, cloexec: boolean): void {
    this.close(fd);
    this.slots.set(fd, { file, cloexec });
  }

  close(fd: number): boolean {
    const slot = this.slots.get(fd);
    if (!slot) return false;
    this.slots.delete(fd);
    slot.file.refs--;
    if (slot.file.refs === 0) slot.file.release();
    return true;
  }

  closeAll(): void {
    for (const fd of [...this.slots.keys()]) this.close(fd);
  }
}
