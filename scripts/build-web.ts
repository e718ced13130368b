// Builds the browser page (src/web) into a static folder any static host can serve
// (default dist/web): index.html, style.css, xterm.css, main.js (the page), worker.js
// (the VM's Web Worker), demo.bin (the demo guest) and _headers (the cross-origin
// isolation headers in the format several static hosts read). `npm run build:web`
// runs it; `npm install` does too (the prepare script); `gunyah web` serves the folder.
//
// The page needs Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp on every response: without them the
// browser gives it no SharedArrayBuffer, which guest RAM is made of.

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions, type Metafile } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The esbuild options of both bundles (the bundle test uses them too). */
export function webBuildOptions(outdir: string): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: { main: "src/web/main.ts", worker: "src/web/worker.ts" },
    outdir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox110", "safari16"],
    sourcemap: true,
    minify: true,
    metafile: true,
    logLevel: "silent",
  };
}

export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
} as const;

const STATIC_FILES: readonly [from: string, to: string][] = [
  ["src/web/static/index.html", "index.html"],
  ["src/web/static/style.css", "style.css"],
  ["node_modules/@xterm/xterm/css/xterm.css", "xterm.css"],
  ["guests/demo/demo.bin", "demo.bin"],
];

export async function buildWeb(outdir = join(root, "dist", "web")): Promise<Metafile> {
  mkdirSync(outdir, { recursive: true });
  const result = await build(webBuildOptions(outdir));
  for (const [from, to] of STATIC_FILES) copyFileSync(join(root, from), join(outdir, to));
  const headers = Object.entries(ISOLATION_HEADERS)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join("\n");
  writeFileSync(join(outdir, "_headers"), `/*\n${headers}\n`);
  if (!result.metafile) throw new Error("esbuild returned no metafile");
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const meta = await buildWeb(out);
  const sizes = Object.entries(meta.outputs)
    .filter(([name]) => name.endsWith(".js"))
    .map(([name, o]) => `${name} ${(o.bytes / 1024).toFixed(0)} KiB`);
  console.log(`build-web: ${out ?? "dist/web"}: ${sizes.join(", ")}`);
}
