// Builds a gzip'd newc initramfs holding Debian's static busybox and an /init that
// mounts /proc and /sys and starts a shell on the console (or, with --run, runs the
// given commands: the boot tests use that to end with `poweroff -f`).
//
//   node --import tsx scripts/make-initramfs.ts --busybox .assets/busybox --out initramfs.cpio.gz [--run 'cmds']
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { writeCpio, type CpioEntry } from "../src/lib/cpio.js";

const { values } = parseArgs({
  options: {
    busybox: { type: "string" },
    out: { type: "string" },
    run: { type: "string" },
  },
});
if (!values.busybox || !values.out) {
  console.error(
    "usage: make-initramfs --busybox <static arm64 busybox> --out <file> [--run <commands>]",
  );
  process.exit(2);
}

const last = values.run ?? "exec setsid cttyhack sh";
const init = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
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
writeFileSync(values.out, gzipSync(writeCpio(entries), { level: 9 }));
console.log(`make-initramfs: wrote ${values.out}`);
