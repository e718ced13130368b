#!/usr/bin/env bash
# Downloads Debian's arm64 packages the tests use (busybox-static) into .assets/.
# Idempotent; needs only Debian's package archive.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .assets
if [ ! -x .assets/busybox ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq busybox-static:arm64 >/dev/null)
  dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
  cp "$tmp/x/bin/busybox" .assets/busybox
  rm -rf "$tmp"
fi
