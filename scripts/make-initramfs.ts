// Builds a gzip'd newc initramfs holding Debian's static busybox and an /init (the
// code `gunyah fetch` uses: src/cli/fetch/initramfs.ts). With --modules, the kernel
// modules in that directory are loaded first; with --run, /init runs those commands
// instead of starting a shell.
//
//   node --import tsx scripts/make-initramfs.ts --busybox <busybox> --out initramfs.cpio.gz \
//     [--modules <dir of .ko files>] [--run 'cmds']
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildInitramfs } from "../src/cli/fetch/initramfs.js";

const { values } = parseArgs({
  options: {
    busybox: { type: "string" },
    out: { type: "string" },
    run: { type: "string" },
    modules: { type: "string" },
  },
});
if (!values.busybox || !values.out) {
  console.error(
    "usage: make-initramfs --busybox <static arm64 busybox> --out <file> [--modules <dir>] [--run <commands>]",
  );
  process.exit(2);
}
const dir = values.modules;
const modules = dir
  ? readdirSync(dir)
      .filter((n) => n.endsWith(".ko"))
      .map((name) => ({ name, data: readFileSync(join(dir, name)) }))
  : [];
if (dir && modules.length === 0) {
  console.error(`make-initramfs: no .ko files in ${dir}`);
  process.exit(1);
}
const image = buildInitramfs({
  busybox: readFileSync(values.busybox),
  modules,
  ...(values.run !== undefined ? { run: values.run } : {}),
});
writeFileSync(values.out, image);
console.log(`make-initramfs: wrote ${values.out}`);
