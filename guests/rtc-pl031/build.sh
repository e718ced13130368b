#!/bin/sh
# Builds guests/rtc-pl031/rtc-pl031.bin, the real-time clock guest. The
# binary is committed so users need no cross compiler; test/e2e/rtc-pl031.test.ts
# rebuilds it (when aarch64-linux-gnu-gcc is present) and checks it is up to date.
#
# Reproducible: fixed flags, no build ID, no debug info or paths in the output, a
# fixed link order and SOURCE_DATE_EPOCH-independent tools. Output: rtc-pl031.bin (raw,
# load and entry at 0x4000_0000). Usage: build.sh [output-dir] (default: this folder).
# With RTC_PL031_ELF set, the linked ELF is copied there too (QEMU's -kernel boots it at
# its link address, which the tests use to check the guest on a reference CPU).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
CROSS=${CROSS:-aarch64-linux-gnu-}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

CFLAGS="-march=armv8-a -mgeneral-regs-only -mstrict-align -O2 -ffreestanding \
  -fno-builtin -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables \
  -fno-unwind-tables -fno-ident -nostdlib -Wall -Wextra -Werror -std=c11"

cd "$here"
"${CROSS}gcc" $CFLAGS -c start.S -o "$build/start.o"
"${CROSS}gcc" $CFLAGS -c main.c -o "$build/main.o"
"${CROSS}ld" -nostdlib -no-pie --build-id=none -T rtc-pl031.ld \
  "$build/start.o" "$build/main.o" -o "$build/rtc-pl031.elf"
if [ -n "${RTC_PL031_ELF:-}" ]; then cp "$build/rtc-pl031.elf" "$RTC_PL031_ELF"; fi
"${CROSS}objcopy" -O binary "$build/rtc-pl031.elf" "$out/rtc-pl031.bin"
