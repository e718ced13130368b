// The builder's view of the virtio devices: `virtioDeviceSpecs` turns options (disks,
// an entropy source, a console) into DeviceSpecs for `buildMachine`'s `extraDevices`,
// one virtio-mmio slot each (QEMU virt's layout: 0x0A00_0000 + n * 0x200, SPI 16 + n).

import { err, ok, type Result } from "../../lib/result.js";
import { virtioMmioSlot, type DeviceSpec } from "../devices.js";
import { VirtioBlock } from "./blk.js";
import { memoryStore, type BlockStore } from "./block-store.js";
import { VirtioConsole } from "./console.js";
import { VirtioMmio } from "./mmio.js";
import { VirtioRng } from "./rng.js";
import type { VirtioBackend } from "./backend.js";

export interface DiskOptions {
  /** A disk image file (opened with VirtioDeviceOptions.openDisk), or ... */
  readonly path?: string;
  /** ... the disk's bytes in memory (written in place unless read-only). */
  readonly bytes?: Uint8Array;
  readonly readOnly?: boolean;
  readonly serial?: string;
}

export interface VirtioDeviceOptions {
  readonly disks?: readonly DiskOptions[];
  readonly rng?: boolean;
  /** A virtio console (hvc0): output sink and an input subscription like ConsoleIo's. */
  readonly console?: {
    readonly output: (bytes: Uint8Array) => void;
    readonly input?: (onData: (bytes: Uint8Array) => void) => () => void;
  };
  /** The first virtio-mmio slot to use (default 0). */
  readonly firstSlot?: number;
  /**
   * Opens a disk image file (the CLI's: src/cli/disk-file.ts). Without it only disks
   * given as bytes can be made: the VMM itself has no file system (it runs in a
   * browser too).
   */
  readonly openDisk?: (path: string, readOnly: boolean) => Result<BlockStore, string>;
}

export interface VirtioDevices {
  readonly specs: readonly DeviceSpec[];
  /** Closes disk files and input subscriptions (after the VM is torn down). */
  close(): void;
}

/**
 * Parses a `--disk` argument: `<file>[,ro][,serial=<id>]` (the file name may not
 * contain a comma). Unknown options are refused rather than ignored.
 */
export function parseDiskOption(text: string): Result<DiskOptions, string> {
  const [path, ...opts] = text.split(",");
  if (path === undefined || path === "") return err(`--disk ${text}: no file name`);
  let readOnly = false;
  let serial: string | undefined;
  for (const o of opts) {
    if (o === "ro") readOnly = true;
    else if (o === "rw") readOnly = false;
    else if (o.startsWith("serial=") && o.length > 7 && o.length <= 27) serial = o.slice(7);
    else return err(`--disk ${text}: unknown option "${o}" (ro, rw, serial=<up to 20 bytes>)`);
  }
  return ok({ path, readOnly, ...(serial !== undefined ? { serial } : {}) });
}

/** DeviceSpecs for the requested devices: disks first, then the rng, then the console. */
export function virtioDeviceSpecs(options: VirtioDeviceOptions): Result<VirtioDevices, string> {
  const closers: (() => void)[] = [];
  const close = () => closers.splice(0).forEach((c) => c());
  const backends: (() => VirtioBackend)[] = [];
  for (const disk of options.disks ?? []) {
    let store: BlockStore;
    if (disk.path !== undefined) {
      const s = options.openDisk
        ? options.openDisk(disk.path, disk.readOnly ?? false)
        : err(`${disk.path}: no file system to open a disk image from`);
      if (!s.ok) {
        close();
        return err(s.error);
      }
      store = s.value;
    } else if (disk.bytes !== undefined) store = memoryStore(disk.bytes, disk.readOnly ?? false);
    else {
      close();
      return err("a disk needs a path or bytes");
    }
    closers.push(() => store.close());
    const serial = disk.serial;
    backends.push(() => new VirtioBlock(store, serial === undefined ? {} : { serial }));
  }
  if (options.rng) backends.push(() => new VirtioRng());
  const con = options.console;
  if (con)
    backends.push(() => {
      const device = new VirtioConsole(con.output);
      const unsubscribe = con.input?.((bytes) => device.receive(bytes));
      if (unsubscribe) closers.push(unsubscribe);
      return device;
    });
  const specs: DeviceSpec[] = [];
  for (const [i, make] of backends.entries()) {
    const slot = virtioMmioSlot((options.firstSlot ?? 0) + i);
    if (slot === undefined) {
      close();
      return err(`no virtio-mmio slot left for device ${i}`);
    }
    specs.push({
      base: slot.base,
      spi: slot.spi,
      level: false,
      dtKind: "virtio-mmio",
      create: (irq, ram) => new VirtioMmio(make(), ram, irq),
    });
  }
  return ok({ specs, close });
}
