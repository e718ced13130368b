#!/bin/sh
# Builds the self-hosted debug test guest: <out>/debug-arch.elf (QEMU's -kernel) and
# <out>/debug-arch.bin (raw, load and entry at 0x4000_0000, for `gunyah run --kernel`).
# Usage: build.sh <output-dir>. test/arch/arm64/debug-qemu.test.ts runs both.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh <output-dir>}
CROSS=${CROSS:-aarch64-linux-gnu-}

CFLAGS="-march=armv8-a -mgeneral-regs-only -mstrict-align -O2 -ffreestanding \
  -fno-builtin -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables \
  -fno-unwind-tables -fno-ident -nostdlib -Wall -Wextra -Werror -std=gnu11"

cd "$here"
"${CROSS}gcc" $CFLAGS -c start.S -o "$out/start.o"
"${CROSS}gcc" $CFLAGS -c main.c -o "$out/main.o"
"${CROSS}ld" -nostdlib -no-pie --build-id=none --no-warn-rwx-segments -T guest.ld \
  "$out/start.o" "$out/main.o" -o "$out/debug-arch.elf"
"${CROSS}objcopy" -O binary "$out/debug-arch.elf" "$out/debug-arch.bin"
