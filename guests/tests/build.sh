#!/usr/bin/env bash
# Builds the CPU test programs (guests/tests/*.c) as static AArch64 Linux executables,
# in five variants each: -O2 and -O3, for armv8-a and armv8.1-a (LSE atomics, RDM),
# and a static PIE (-static-pie, loaded at a bias).
# Output: guests/tests/build/<name>.<variant> and build/probe-<name> for probes/*.c (gitignored; test/exec builds on demand).
# Usage: build.sh [outdir]; rebuilds only what is older than its source. Test files may
# run it at the same time: each run writes its own temporary file and renames it into
# place, so a concurrent run never moves a file another is still writing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/build}"
cc="${CC:-aarch64-linux-gnu-gcc}"
mkdir -p "$out"
variants=("O2:-static -O2" "O3:-static -O3" "O2-v81:-static -O2 -march=armv8.1-a"
  "O3-v81:-static -O3 -march=armv8.1-a" "O2-pie:-static-pie -O2")
for src in "$here"/*.c; do
  name="$(basename "$src" .c)"
  for v in "${variants[@]}"; do
    tag="${v%%:*}"
    flags="${v#*:}"
    bin="$out/$name.$tag"
    if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ] || [ "$0" -nt "$bin" ]; then
      # shellcheck disable=SC2086
      "$cc" $flags -Wall -Wno-unused-result -Wno-stringop-overflow -Wno-stringop-truncation -Wno-infinite-recursion -Wno-array-bounds -o "$bin.tmp.$$" "$src" -lm
      mv "$bin.tmp.$$" "$bin"
    fi
  done
done
# Probes for the tools and loader tests (one variant each).
for src in "$here"/probes/*.c; do
  name="probe-$(basename "$src" .c)"
  bin="$out/$name"
  if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ]; then
    "$cc" -static -O2 -Wall -o "$bin.tmp.$$" "$src"
    mv "$bin.tmp.$$" "$bin"
  fi
done
