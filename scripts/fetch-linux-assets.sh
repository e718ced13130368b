#!/usr/bin/env bash
# Fetches Debian 12's stock arm64 kernel (the current linux-image-arm64 dependency) and
# builds busybox initramfs images into .assets/linux/. Idempotent; needs only Debian's
# package archive. Used by the Linux boot tests and `gunyah run --kernel`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-test-assets.sh
out=.assets/linux
mkdir -p "$out"
if [ ! -f "$out/Image" ]; then
  pkg=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || { echo "fetch-linux-assets: cannot resolve the arm64 kernel package" >&2; exit 1; }
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1)
  dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
  cp "$tmp"/boot/vmlinuz-* "$out/Image"
  echo "${pkg%:arm64}" > "$out/VERSION"
  rm -rf "$tmp"
fi
node --import tsx scripts/make-initramfs.ts --busybox .assets/busybox --out "$out/initramfs.cpio.gz"
node --import tsx scripts/make-initramfs.ts --busybox .assets/busybox --out "$out/initramfs-test.cpio.gz" \
  --run 'uname -sr; echo GUNYAH-LINUX-OK; poweroff -f'
