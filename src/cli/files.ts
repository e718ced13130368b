// The VMM's FileSource (src/vmm/config.ts) over the file system: the kernel and initrd
// that `gunyah run` names. Errors become the short messages the CLI prints after the
// path ("Image: no such file").

import { readFile } from "node:fs/promises";
import { err, ok } from "../lib/result.js";
import type { FileSource } from "../vmm/index.js";

const ERRNO_MESSAGES: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "is a directory",
  EACCES: "permission denied",
};

export const nodeFiles: FileSource = {
  async read(path) {
    try {
      return ok(new Uint8Array(await readFile(path)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      return err(ERRNO_MESSAGES[code] ?? String((e as Error).message));
    }
  },
};
