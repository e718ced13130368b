// Builds a gzip'd newc initramfs holding Debian's static busybox and an /init that
// mounts /proc and /sys and starts a shell on the console (or, with --run, runs the
// given commands: the boot tests use that to end with `poweroff -f`). With --modules,
// the kernel modules in that directory go to /lib/modules and /init insmods them first
// (virtio_mmio before the device drivers that bind to its devices).
//
//   node --import tsx scripts/make-initramfs.ts --busybox .assets/busybox --out initramfs.cpio.gz \
//     [--modules <dir of .ko files>] [--run 'cmds']
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { writeCpio, type CpioEntry } from "../src/lib/cpio.js";

const { values } = parseArgs({
  options: {
    busybox: { type: "string" },
    out: { type: "string" },
    run: { type: "string" },
    modules: { type: "string" },
  },
});
if (!values.busybox || !values.out) {
  console.error(
    "usage: make-initramfs --busybox <static arm64 busybox> --out <file> [--modules <dir>] [--run <commands>]",
  );
  process.exit(2);
}

/** virtio_mmio registers the transport the others' drivers bind through: load it first. */
const LOAD_FIRST = ["virtio_mmio.ko"];

function moduleNames(dir: string): string[] {
  const names = readdirSync(dir).filter((n) => n.endsWith(".ko"));
  if (names.length === 0) {
    console.error(`make-initramfs: no .ko files in ${dir}`);
    process.exit(1);
  }
  const rank = (n: string) => (LOAD_FIRST.includes(n) ? LOAD_FIRST.indexOf(n) : LOAD_FIRST.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const modules = values.modules ? moduleNames(values.modules) : [];
const insmods = modules.map((n) => `insmod /lib/modules/${n}`).join("\n");
const last = values.run ?? "exec setsid cttyhack sh";
const init = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
${insmods}
echo "gunyah-ts: busybox userland up"
${last}
`;
const enc = new TextEncoder();
const entries: CpioEntry[] = [
  { kind: "dir", path: "bin" },
  { kind: "dir", path: "dev" },
  { kind: "dir", path: "proc" },
  { kind: "dir", path: "sys" },
  { kind: "dir", path: "tmp", mode: 0o1777 },
  { kind: "char", path: "dev/console", major: 5, minor: 1 },
  { kind: "file", path: "bin/busybox", data: readFileSync(values.busybox), mode: 0o755 },
  { kind: "file", path: "init", data: enc.encode(init), mode: 0o755 },
];
if (values.modules) {
  const dir = values.modules;
  entries.push({ kind: "dir", path: "lib" }, { kind: "dir", path: "lib/modules" });
  for (const n of modules)
    entries.push({
      kind: "file",
      path: `lib/modules/${n}`,
      data: readFileSync(join(dir, n)),
      mode: 0o644,
    });
}
writeFileSync(values.out, gzipSync(writeCpio(entries), { level: 9 }));
console.log(`make-initramfs: wrote ${values.out}`);
