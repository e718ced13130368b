// Where `gunyah fetch` keeps its downloads and what `gunyah run --guest` boots from:
// the user's cache folder, as each platform defines it (XDG Base Directory on Linux
// and the BSDs, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).

import { homedir } from "node:os";
import { join } from "node:path";

export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === "win32")
    return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), "gunyah", "Cache");
  if (platform === "darwin") return join(home, "Library", "Caches", "gunyah");
  const xdg = env.XDG_CACHE_HOME;
  // The spec: a relative XDG_CACHE_HOME is invalid and is ignored.
  return join(xdg && xdg.startsWith("/") ? xdg : join(home, ".cache"), "gunyah");
}

/** The files of the Debian guest inside a cache folder (the layout of `.assets`). */
export const DebianFiles = {
  busybox: "busybox",
  kernel: join("linux", "Image"),
  modules: join("linux", "modules"),
  version: join("linux", "VERSION"),
  initrds: {
    shell: join("linux", "initramfs.cpio.gz"),
    test: join("linux", "initramfs-test.cpio.gz"),
    virtio: join("linux", "initramfs-virtio.cpio.gz"),
  },
} as const;

export type DebianInitrd = keyof typeof DebianFiles.initrds;
