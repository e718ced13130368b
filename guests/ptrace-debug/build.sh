#!/bin/sh
# Builds <out>/ptrace-debug.cpio.gz: an initramfs whose /init is init.c, static.
# Usage: build.sh <output-dir>. test/e2e/linux-ptrace.test.ts boots it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh <output-dir>}
CROSS=${CROSS:-aarch64-linux-gnu-}
root="$out/root"
rm -rf "$root"
mkdir -p "$root/dev"
"${CROSS}gcc" -static -O1 -Wall -Werror -o "$root/init" "$here/init.c"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9n > "$out/ptrace-debug.cpio.gz"
