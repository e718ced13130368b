// The initramfs of the Linux benchmark's SMP workload: Debian's static busybox and an
// /init that checks what a 2-vCPU boot with the kernel's crypto self-tests must get
// right (both CPUs online, busybox sha256sum and awk's floating point give the known
// answers), prints the marker only if all hold, and powers off. Built at bench time
// from .assets/busybox with the repository's own cpio writer.

import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { writeCpio, type CpioEntry } from "../src/lib/cpio.js";

export const SMP_MARKER = "GUNYAH-SMP-OK";
/** SHA-256("abc"), FIPS 180-2 appendix B.1. */
const SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
cpus=$(grep -c ^processor /proc/cpuinfo)
sum=$(printf abc | sha256sum | cut -d' ' -f1)
half=$(awk 'BEGIN { s = 0; for (i = 1; i <= 1000; i++) s += i * 0.5; print s }')
echo "cpus=$cpus sha256(abc)=$sum awk=$half"
if [ "$cpus" = 2 ] && [ "$sum" = ${SHA256_ABC} ] && [ "$half" = 250250 ]; then
  echo ${SMP_MARKER}
fi
poweroff -f
`;

/** Writes the initramfs to `out` (gzip'd newc) and returns its path. */
export function buildSmpInitramfs(busybox: string, out: string): string {
  const entries: CpioEntry[] = [
    { kind: "dir", path: "bin" },
    { kind: "dir", path: "dev" },
    { kind: "dir", path: "proc" },
    { kind: "dir", path: "sys" },
    { kind: "char", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: fs.readFileSync(busybox), mode: 0o755 },
    { kind: "file", path: "init", data: new TextEncoder().encode(INIT), mode: 0o755 },
  ];
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, gzipSync(writeCpio(entries), { level: 9 }));
  return out;
}
