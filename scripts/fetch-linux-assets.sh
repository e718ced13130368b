#!/usr/bin/env bash
# Fetches Debian 12's stock arm64 kernel (the current linux-image-arm64 dependency): the
# Image and the virtio modules the virtio boot test loads (Debian builds virtio-mmio,
# virtio-blk, virtio-rng and virtio-console as modules), and builds busybox initramfs
# images into .assets/linux/. Idempotent: the package is downloaded at most once and
# only what is missing is extracted. Used by the Linux boot tests and `gunyah run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-test-assets.sh
out=.assets/linux
mods="$out/modules"
mkdir -p "$out"
wanted=(virtio/virtio_mmio.ko block/virtio_blk.ko char/hw_random/virtio-rng.ko char/virtio_console.ko)
missing_modules() {
  for m in "${wanted[@]}"; do [ -f "$mods/$(basename "$m")" ] || return 0; done
  return 1
}
if [ ! -f "$out/Image" ] || missing_modules; then
  if [ -f "$out/VERSION" ]; then
    pkg="$(cat "$out/VERSION"):arm64" # the same kernel the Image came from
  else
    pkg=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$pkg" ] || { echo "fetch-linux-assets: cannot resolve the arm64 kernel package" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
    { echo "fetch-linux-assets: apt-get download $pkg failed" >&2; exit 1; }
  deb=$(ls "$tmp"/linux-image-*.deb)
  patterns=('./boot/vmlinuz-*')
  for m in "${wanted[@]}"; do patterns+=("./lib/modules/*/kernel/drivers/$m"); done
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "${patterns[@]}"
  [ -f "$out/Image" ] || cp "$tmp"/boot/vmlinuz-* "$out/Image"
  mkdir -p "$mods"
  for m in "${wanted[@]}"; do cp "$tmp"/lib/modules/*/kernel/drivers/"$m" "$mods/"; done
  echo "${pkg%:arm64}" > "$out/VERSION"
fi
mk() { node --import tsx scripts/make-initramfs.ts --busybox .assets/busybox "$@"; }
mk --out "$out/initramfs.cpio.gz"
mk --out "$out/initramfs-test.cpio.gz" --run 'uname -sr; echo GUNYAH-LINUX-OK; poweroff -f'
mk --out "$out/initramfs-virtio.cpio.gz" --modules "$mods" --run \
  'cat /sys/block/vda/size; dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 16; echo; head -c 8 /dev/hwrng | od -An -tx1 | wc -w; echo GUNYAH-VIRTIO-OK; poweroff -f'
