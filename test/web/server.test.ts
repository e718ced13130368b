// `gunyah web`'s server: the isolation headers on every answer, MIME types, no way out of
// the page folder, loopback Host names only, assets only by the names it offers; and the
// command prints its URL and stops on Ctrl-C.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildWeb } from "../../scripts/build-web.js";
import { main } from "../../src/cli/main.js";
import { resolveStatic, startWebServer, type WebServer } from "../../src/cli/web-server.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes out exactly as written (no URL normalisation). */
function get(url: string, path: string, init: { method?: string; host?: string } = {}) {
  const u = new URL(url);
  return new Promise<Answer>((done, fail) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: init.method ?? "GET",
        headers: { host: init.host ?? u.host },
      },
      (res) => {
        let body = "";
        res.setEncoding("latin1");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", fail);
    req.end();
  });
}

function fixture(): { root: string; assets: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "gunyah-web-server-"));
  const root = join(dir, "www");
  const assets = join(dir, "assets");
  mkdirSync(root);
  mkdirSync(join(assets, "linux", "modules"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(join(root, "main.js"), "export {};");
  writeFileSync(join(root, "style.css"), "body{}");
  writeFileSync(join(root, ".secret"), "no");
  writeFileSync(join(dir, "outside.txt"), "outside");
  writeFileSync(join(assets, "linux", "Image"), new Uint8Array(4096));
  writeFileSync(join(assets, "linux", "initramfs-test.cpio.gz"), "t");
  writeFileSync(join(assets, "linux", "initramfs.cpio.gz"), "i");
  writeFileSync(join(assets, "linux", "VERSION"), "6.1.0-test-arm64\n");
  writeFileSync(join(assets, "linux", "modules", "virtio.ko"), "m");
  return { root, assets, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function withServer(run: (s: WebServer, f: ReturnType<typeof fixture>) => Promise<void>) {
  const f = fixture();
  const server = await startWebServer({
    root: f.root,
    assets: f.assets,
    host: "127.0.0.1",
    port: 0,
  });
  try {
    await run(server, f);
  } finally {
    await server.close();
    f.cleanup();
  }
}

test("every answer carries COOP/COEP/CORP; files get their MIME type", async () => {
  await withServer(async (s) => {
    for (const [path, status, type] of [
      ["/", 200, "text/html; charset=utf-8"],
      ["/main.js", 200, "text/javascript; charset=utf-8"],
      ["/style.css", 200, "text/css; charset=utf-8"],
      ["/missing.js", 404, "text/plain; charset=utf-8"],
    ] as const) {
      const r = await get(s.url, path);
      assert.equal(r.status, status, path);
      assert.equal(r.headers["content-type"], type, path);
      assert.equal(r.headers["cross-origin-opener-policy"], "same-origin", path);
      assert.equal(r.headers["cross-origin-embedder-policy"], "require-corp", path);
      assert.equal(r.headers["cross-origin-resource-policy"], "same-origin", path);
    }
    assert.equal((await get(s.url, "/")).body, "<!doctype html><title>t</title>");
    const head = await get(s.url, "/main.js", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.equal(head.headers["content-length"], "10");
  });
});

test("no path leaves the folder; dotfiles, other methods and foreign Host names are refused", async () => {
  await withServer(async (s) => {
    for (const path of [
      "/../outside.txt",
      "/%2e%2e/outside.txt",
      "/..%2foutside.txt",
      "/%2e%2e%2foutside.txt",
      "/assets/../../outside.txt",
      "/..\\outside.txt",
      "/%5c..%5coutside.txt",
      "/.secret",
      "/main.js%00.css",
      "/%E0%A4%A",
      "//etc/passwd",
    ]) {
      const r = await get(s.url, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /outside|no$|root:/, path);
    }
    assert.equal((await get(s.url, "/", { method: "POST" })).status, 405);
    assert.equal((await get(s.url, "/", { host: "evil.example:80" })).status, 421);
    assert.equal((await get(s.url, "/", { host: `localhost:${new URL(s.url).port}` })).status, 200);
    // An absolute path cannot climb above the root: ".." stops at it.
    assert.equal(resolveStatic("/srv/www", "/a/../../b"), "/srv/www/b");
    assert.equal(resolveStatic("/srv/www", "/a/%2e%2e/%2e%2e/b"), "/srv/www/b");
    assert.equal(resolveStatic("/srv/www", "/a/b.js"), "/srv/www/a/b.js");
  });
});

test("the assets route lists the kernel and initramfs images and serves only those", async () => {
  await withServer(async (s) => {
    const listing = await get(s.url, "/assets/index.json");
    assert.equal(listing.status, 200);
    assert.deepEqual(JSON.parse(listing.body), {
      kernel: "linux/Image",
      initrds: ["initramfs.cpio.gz", "initramfs-test.cpio.gz"],
      version: "6.1.0-test-arm64",
    });
    const image = await get(s.url, "/assets/linux/Image");
    assert.equal(image.status, 200);
    assert.equal(image.body.length, 4096);
    assert.equal((await get(s.url, "/assets/linux/initramfs.cpio.gz")).body, "i");
    for (const path of [
      "/assets/linux/VERSION",
      "/assets/linux/modules/virtio.ko",
      "/assets/linux/../linux/Image",
      "/assets/linux/%2e%2e/linux/Image",
    ])
      assert.equal((await get(s.url, path)).status, 404, path);
  });
  const bare = await startWebServer({ root: fixture().root, host: "127.0.0.1", port: 0 });
  try {
    assert.equal((await get(bare.url, "/assets/index.json")).status, 404);
  } finally {
    await bare.close();
  }
});

/** `gunyah web <args>` running in-process: its URL, its output so far, and Ctrl-C. */
async function startCommand(args: readonly string[]) {
  const root = resolve(import.meta.dirname, "..", "..");
  if (!existsSync(join(root, "dist", "web", "index.html"))) await buildWeb();
  const out = { stdout: "", stderr: "" };
  let interrupt: (() => void) | undefined;
  const running = main(["web", "--port", "0", ...args], {
    stdout: (t: string | Uint8Array) => void (out.stdout += String(t)),
    stderr: (t: string) => void (out.stderr += t),
    stdin: undefined,
    onInterrupt: (h: () => void) => {
      interrupt = h;
      return () => (interrupt = undefined);
    },
  });
  const started = Date.now();
  while (!/offer|no Debian/.test(out.stdout) && Date.now() - started < 10_000)
    await new Promise((r) => setTimeout(r, 20));
  const url = /serving the page at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.stdout)?.[1];
  assert.ok(url, out.stdout + out.stderr);
  return {
    url,
    out,
    stop: async () => {
      interrupt?.();
      return running;
    },
  };
}

test("gunyah web prints its URL, serves the built page, and stops on Ctrl-C; bad options exit 1", async () => {
  const cmd = await startCommand([]);
  const page = await get(cmd.url, "/");
  assert.equal(page.status, 200);
  assert.match(page.body, /<div id="terminal">/);
  assert.equal((await get(cmd.url, "/worker.js")).status, 200);
  assert.equal(await cmd.stop(), 0);

  let stderr = "";
  const io = {
    stdout: () => {},
    stderr: (t: string) => void (stderr += t),
    stdin: undefined,
    onInterrupt: undefined,
  };
  assert.equal(await main(["web", "--host", "0.0.0.0", "--port", "0"], io), 1);
  assert.match(stderr, /only loopback/);
  stderr = "";
  assert.equal(await main(["web", "--port", "http"], io), 1);
  assert.match(stderr, /not a port number/);
});

test("gunyah web offers the `gunyah fetch` cache by default, and a hint when it is empty", async (t) => {
  const f = fixture();
  const cache = mkdtempSync(join(tmpdir(), "gunyah-xdg-"));
  const saved = process.env.XDG_CACHE_HOME;
  t.after(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    f.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });
  process.env.XDG_CACHE_HOME = cache;

  // Nothing fetched yet: the listing is a 404 carrying the hint the page shows.
  let cmd = await startCommand([]);
  assert.match(
    cmd.out.stdout,
    new RegExp(`no Debian guest in ${join(cache, "gunyah")}: run \`npx gunyah fetch\``),
  );
  const missing = await get(cmd.url, "/assets/index.json");
  assert.equal(missing.status, 404);
  assert.equal(missing.headers["content-type"], "application/json");
  assert.match((JSON.parse(missing.body) as { hint: string }).hint, /npx gunyah fetch/);
  assert.equal(await cmd.stop(), 0);

  // `gunyah fetch`'s layout under $XDG_CACHE_HOME/gunyah (src/cli/fetch/cache-dir.ts).
  cpSync(f.assets, join(cache, "gunyah"), { recursive: true });
  cmd = await startCommand([]);
  assert.match(
    cmd.out.stdout,
    new RegExp(`offering Debian's Linux from ${join(cache, "gunyah")} `),
  );
  const listing = await get(cmd.url, "/assets/index.json");
  assert.equal(listing.status, 200);
  assert.deepEqual((JSON.parse(listing.body) as { initrds: string[] }).initrds, [
    "initramfs.cpio.gz",
    "initramfs-test.cpio.gz",
  ]);
  assert.equal((await get(cmd.url, "/assets/linux/initramfs.cpio.gz")).body, "i");
  assert.equal(await cmd.stop(), 0);

  // --dir (as `gunyah fetch --dir`) and --assets choose another folder.
  for (const option of ["--dir", "--assets"]) {
    cmd = await startCommand([option, f.assets]);
    assert.match(cmd.out.stdout, new RegExp(`offering Debian's Linux from ${f.assets} `));
    assert.equal(await cmd.stop(), 0);
  }
});
