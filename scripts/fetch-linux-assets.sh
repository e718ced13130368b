#!/bin/sh
# Kept for old habits: `gunyah fetch` (src/cli/fetch) fills .assets/ with Debian's arm64 kernel, busybox and the initramfs images.
exec node --import tsx "$(dirname "$0")/../bin/gunyah-dev.ts" fetch --dir "$(dirname "$0")/../.assets" "$@"
