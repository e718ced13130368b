#!/usr/bin/env node
// The `gunyah` command: a thin launcher for the compiled CLI (npm install builds it).
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
  process.stderr.write("gunyah: the compiled CLI (dist/) is missing: run `npm run build`\n");
  process.exit(1);
}

process.exitCode = await cli.main(process.argv.slice(2));
// Every layer closes what it opened; should a stray handle remain, do not hang the
// shell: this timer does not itself keep the process alive.
globalThis.setTimeout(() => process.exit(), 2000).unref();
