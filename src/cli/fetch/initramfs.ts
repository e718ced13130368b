// The busybox initramfs images the Debian guest boots: a gzip'd newc archive holding
// Debian's static busybox and an /init that mounts /proc, /sys and /dev and starts a
// shell on the console, or runs given commands (the boot tests end with `poweroff -f`).
// With kernel modules, they go to /lib/modules and /init insmods them first
// (virtio_mmio before the drivers that bind to its devices).

import { gzipSync } from "node:zlib";
import { writeCpio, type CpioEntry } from "../../lib/cpio.js";

/** virtio_mmio registers the transport the others' drivers bind through: load it first. */
const LOAD_FIRST = ["virtio_mmio.ko"];

export interface KernelModule {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface InitramfsSpec {
  readonly busybox: Uint8Array;
  readonly modules?: readonly KernelModule[];
  /** Shell commands /init runs last (default: an interactive shell on the console). */
  readonly run?: string;
}

function loadOrder(modules: readonly KernelModule[]): KernelModule[] {
  const rank = (n: string) => (LOAD_FIRST.includes(n) ? LOAD_FIRST.indexOf(n) : LOAD_FIRST.length);
  return [...modules].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

export function initScript(modules: readonly KernelModule[], run: string | undefined): string {
  const insmods = loadOrder(modules)
    .map((m) => `insmod /lib/modules/${m.name}`)
    .join("\n");
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
${insmods}
echo "gunyah-ts: busybox userland up"
${run ?? "exec setsid cttyhack sh"}
`;
}

/** The gzip'd cpio archive. Deterministic: the same inputs give the same bytes. */
export function buildInitramfs(spec: InitramfsSpec): Uint8Array {
  const modules = spec.modules ?? [];
  const enc = new TextEncoder();
  const entries: CpioEntry[] = [
    { kind: "dir", path: "bin" },
    { kind: "dir", path: "dev" },
    { kind: "dir", path: "proc" },
    { kind: "dir", path: "sys" },
    { kind: "dir", path: "tmp", mode: 0o1777 },
    { kind: "char", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: spec.busybox, mode: 0o755 },
    { kind: "file", path: "init", data: enc.encode(initScript(modules, spec.run)), mode: 0o755 },
  ];
  if (modules.length > 0) {
    entries.push({ kind: "dir", path: "lib" }, { kind: "dir", path: "lib/modules" });
    for (const m of loadOrder(modules))
      entries.push({ kind: "file", path: `lib/modules/${m.name}`, data: m.data, mode: 0o644 });
  }
  return gzipSync(writeCpio(entries), { level: 9 });
}

/** The images `gunyah fetch` builds (file name -> what /init runs). */
export const DEBIAN_IMAGES = {
  shell: { run: undefined, modules: false },
  test: { run: "uname -sr; echo GUNYAH-LINUX-OK; poweroff -f", modules: false },
  virtio: {
    run: "cat /sys/block/vda/size; dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 16; echo; head -c 8 /dev/hwrng | od -An -tx1 | wc -w; echo GUNYAH-VIRTIO-OK; poweroff -f",
    modules: true,
  },
} as const;
