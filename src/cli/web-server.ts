// `gunyah web`'s HTTP server: the static page folder (dist/web, from npm run build:web)
// and the fetched Debian assets, on loopback, with the cross-origin isolation headers
// without which a browser gives the page no SharedArrayBuffer (guest RAM).
//
// Every request is untrusted: only GET and HEAD; the path is decoded, normalised and
// must stay inside the folder (no traversal, no NUL, no dotfiles); the Host header must
// name this loopback server (a DNS-rebinding page cannot read from it); assets are
// served only by the names the listing offers.

import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const MIME: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".bin": "application/octet-stream",
  ".gz": "application/gzip",
};

export interface WebServerOptions {
  /** The static folder (index.html, main.js, worker.js...). */
  readonly root: string;
  /** A `gunyah fetch` folder (linux/Image, linux/*.cpio.gz), if any. */
  readonly assets?: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface WebServer {
  readonly url: string;
  close(): Promise<void>;
}

/** What the page may download from the assets folder: the kernel and the initramfs images. */
export function assetListing(assets: string | undefined):
  | {
      kernel: string;
      initrds: string[];
      version?: string;
    }
  | undefined {
  if (!assets) return undefined;
  const linux = join(assets, "linux");
  if (!existsSync(join(linux, "Image"))) return undefined;
  const initrds = readdirSync(linux)
    .filter((n) => /^[\w.-]+\.cpio\.gz$/.test(n))
    .sort((a, b) =>
      a === "initramfs.cpio.gz" ? -1 : b === "initramfs.cpio.gz" ? 1 : a.localeCompare(b),
    );
  let version: string | undefined;
  try {
    version = readFileSync(join(linux, "VERSION"), "utf8").trim().slice(0, 100);
  } catch {
    version = undefined;
  }
  return { kernel: "linux/Image", initrds, ...(version ? { version } : {}) };
}

/** What the page shows when the server has no Debian guest to offer. */
export const MISSING_HINT =
  "This server has no Debian guest: run `npx gunyah fetch`, then reload, to boot Linux with one click.";

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, "Content-Type": MIME[".json"] ?? "" });
  res.end(JSON.stringify(body));
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, "Content-Type": "text/plain; charset=utf-8" });
  res.end(`${text}\n`);
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return send(res, 404, "not found");
    size = st.size;
  } catch {
    return send(res, 404, "not found");
  }
  res.writeHead(200, {
    ...ISOLATION_HEADERS,
    "Content-Type": MIME[extname(path)] ?? "application/octet-stream",
    "Content-Length": String(size),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(path)
    .on("error", () => res.destroy())
    .pipe(res);
}

/** The file under `root` that `urlPath` names, or undefined if it may not be served. */
export function resolveStatic(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const rel = normalize(decoded === "/" ? "/index.html" : decoded).replace(/^\/+/, "");
  if (rel.split("/").some((part) => part.startsWith("."))) return undefined; // .., dotfiles
  const base = resolve(root);
  const full = resolve(base, rel);
  return full.startsWith(base + sep) ? full : undefined;
}

function route(opts: WebServerOptions, allowedHosts: Set<string>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!allowedHosts.has((req.headers.host ?? "").toLowerCase()))
      return send(res, 421, "misdirected request: this server answers to its loopback URL only");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "method not allowed");
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/assets/index.json") {
      const listing = assetListing(opts.assets);
      // No guest fetched: a 404 whose body the page shows as a hint (a static host's
      // 404 has no such body, and the page then just offers file picking).
      if (!listing) return sendJson(res, 404, { missing: true, hint: MISSING_HINT });
      return sendJson(res, 200, listing);
    }
    if (path.startsWith("/assets/")) {
      const listing = assetListing(opts.assets);
      const name = path.slice("/assets/".length);
      const offered = listing && [listing.kernel, ...listing.initrds.map((n) => `linux/${n}`)];
      if (!opts.assets || !offered?.includes(name)) return send(res, 404, "not found");
      return sendFile(req, res, join(opts.assets, name));
    }
    const file = resolveStatic(opts.root, path);
    if (!file) return send(res, 404, "not found");
    sendFile(req, res, file);
  };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  if (!isLoopback(opts.host)) throw new Error(`--host ${opts.host}: only loopback addresses`);
  const allowedHosts = new Set<string>();
  const server = createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const shown = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  for (const h of [shown, "localhost", "127.0.0.1", "[::1]"]) allowedHosts.add(`${h}:${port}`);
  server.on("request", route(opts, allowedHosts));
  return {
    url: `http://${shown}:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
