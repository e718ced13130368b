#!/bin/sh
# Builds the conformance guests: bare-metal programs that run on gunyah-ts (`gunyah
# run --kernel <name>.bin`) and on qemu-system-aarch64 (`-kernel <name>.elf`) and must
# print the same thing on both (test/conformance runs them). Each <name>.c in this
# folder is one guest, linked with start.S and lib.c at 0x4000_0000.
# Usage: build.sh <output-dir> [name...] (default: every guest).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh <output-dir> [name...]}
shift
CROSS=${CROSS:-aarch64-linux-gnu-}
mkdir -p "$out"

CFLAGS="-march=armv8-a -mgeneral-regs-only -mstrict-align -O2 -ffreestanding \
  -fno-builtin -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables \
  -fno-unwind-tables -fno-ident -nostdlib -Wall -Wextra -Werror -std=gnu11"

names=${*:-$(cd "$here" && ls *.c | grep -v '^lib\.c$' | sed 's/\.c$//')}
cd "$here"
"${CROSS}gcc" $CFLAGS -c start.S -o "$out/start.o"
"${CROSS}gcc" $CFLAGS -c lib.c -o "$out/lib.o"
for name in $names; do
  "${CROSS}gcc" $CFLAGS -c "$name.c" -o "$out/$name.o"
  "${CROSS}ld" -nostdlib -no-pie --build-id=none --no-warn-rwx-segments -T conformance.ld \
    "$out/start.o" "$out/lib.o" "$out/$name.o" -o "$out/$name.elf"
  "${CROSS}objcopy" -O binary "$out/$name.elf" "$out/$name.bin"
done
