#!/bin/sh
# Builds guests/demo/demo.bin, the demo guest `gunyah run` boots by default. The
# binary is committed so users need no cross compiler; test/vmm/demo-guest.test.ts
# rebuilds it (when aarch64-linux-gnu-gcc is present) and checks it is up to date.
#
# Reproducible: fixed flags, no build ID, no debug info or paths in the output, a
# fixed link order and SOURCE_DATE_EPOCH-independent tools. Output: demo.bin (raw,
# load and entry at 0x4000_0000). Usage: build.sh [output-dir] (default: this folder).
# With DEMO_ELF set, the linked ELF is copied there too (QEMU's -kernel boots it at
# its link address, which the tests use to check the guest on a reference CPU).
# DEMO_DEBUG=1 adds DWARF (-g) for debuggers (test/e2e/gdb): -g never changes the
# generated code, so demo.bin stays byte-identical.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
CROSS=${CROSS:-aarch64-linux-gnu-}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

CFLAGS="-march=armv8-a -mgeneral-regs-only -mstrict-align -O2 -ffreestanding \
  -fno-builtin -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables \
  -fno-unwind-tables -fno-ident -nostdlib -Wall -Wextra -Werror -std=c11"
if [ -n "${DEMO_DEBUG:-}" ]; then CFLAGS="$CFLAGS -g"; fi

cd "$here"
"${CROSS}gcc" $CFLAGS -c start.S -o "$build/start.o"
"${CROSS}gcc" $CFLAGS -c main.c -o "$build/main.o"
"${CROSS}ld" -nostdlib -no-pie --build-id=none -T demo.ld \
  "$build/start.o" "$build/main.o" -o "$build/demo.elf"
if [ -n "${DEMO_ELF:-}" ]; then cp "$build/demo.elf" "$DEMO_ELF"; fi
"${CROSS}objcopy" -O binary "$build/demo.elf" "$out/demo.bin"
