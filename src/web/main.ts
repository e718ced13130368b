// The page: boots the demo guest at once, boots Linux from picked, dropped or
// server-offered files, shows the console (xterm.js) and the VM live, and stops,
// resets and boots again without a reload. The VM itself runs in a Web Worker.

import { classify, download, readFile, serverAssets, type ServerAssets } from "./files.js";
import { LivePanel, byId } from "./live-panel.js";
import type { BootRequest, NamedBytes, Verdict } from "./protocol.js";
import { TerminalView } from "./terminal-view.js";
import { TraceView } from "./trace-view.js";
import { VmController } from "./vm-controller.js";

interface Picked {
  kernel?: NamedBytes;
  initrd?: NamedBytes;
  disks: NamedBytes[];
}

const panel = new LivePanel();
const picked: Picked = { disks: [] };
/** Downloads kept for reboots (the kernel is 30+ MiB). */
const downloads = new Map<string, NamedBytes>();

const vm = new VmController(new URL("./worker.js", import.meta.url), {
  console: (bytes) => term.write(bytes),
  state: (state) => {
    panel.state(state);
    setRunning(state !== "stopped");
  },
  stats: (stats) => panel.stats(stats),
  log: (line) => panel.addLog(line),
  trace: (batch) => trace.batch(batch),
  traceFile: (file) => trace.setFile(file),
  verdict: (v) => showVerdict(v),
});
const term = new TerminalView(byId("terminal"), (bytes) => vm.input(bytes));
const trace = new TraceView(() => vm.requestTraceFile());

function setRunning(running: boolean): void {
  byId<HTMLButtonElement>("stop").disabled = !running;
  byId<HTMLButtonElement>("reset").disabled = false;
}

function note(text: string): void {
  byId("note").textContent = text;
}

function showVerdict(v: Verdict): void {
  const el = byId("verdict");
  el.textContent = `exit ${v.code}: ${v.message}`;
  el.className = `verdict ${v.code === 0 ? "ok" : "bad"}`;
  panel.state(v.code === 0 || v.code === 130 ? "stopped" : "failed", `exit ${v.code}`);
  setRunning(false);
}

/** The last boot, for Reset. */
let last: { request: BootRequest; title: string } | undefined;

/** Boots `request` with the trace switch's setting (the switch is read at every boot). */
function boot(given: BootRequest, title: string): void {
  const tracing = trace.request();
  const request: BootRequest = { ...given, trace: tracing };
  last = { request, title };
  term.clear();
  panel.clear();
  trace.reset(tracing !== undefined);
  byId("verdict").textContent = "";
  term.note(`gunyah-ts: ${title}`);
  vm.boot(request);
  term.focus();
}

async function fetchOnce(url: string, what: string): Promise<NamedBytes> {
  const cached = downloads.get(url);
  if (cached) return cached;
  panel.state("loading", "loading");
  const file = await download(url, (f) => note(`Downloading ${what}: ${Math.round(f * 100)}%`));
  note("");
  downloads.set(url, file);
  return file;
}

function linuxOptions(): Pick<BootRequest, "append" | "memory" | "cpus" | "rtcBase"> {
  // An empty RTC base: the browser's clock (the worker parses a given one).
  const rtcBase = byId<HTMLInputElement>("rtc-base").value.trim();
  return {
    append: byId<HTMLInputElement>("append").value.trim(),
    memory: byId<HTMLSelectElement>("memory").value,
    cpus: Number(byId<HTMLSelectElement>("cpus").value),
    ...(rtcBase ? { rtcBase } : {}),
  };
}

async function bootDemo(): Promise<void> {
  const kernel = await fetchOnce("demo.bin", "the demo guest");
  boot({ type: "boot", kernel }, "the demo guest (guests/demo)");
}

async function bootServerLinux(assets: ServerAssets): Promise<void> {
  const initrdName = byId<HTMLSelectElement>("server-initrd").value;
  const kernel = await fetchOnce(`assets/${assets.kernel}`, "Debian's kernel");
  const initrd = await fetchOnce(`assets/linux/${initrdName}`, initrdName);
  boot(
    { type: "boot", kernel, initrd, ...linuxOptions() },
    `Debian's Linux ${assets.version ?? ""} with ${initrdName}`,
  );
}

function bootPicked(): void {
  if (!picked.kernel) return note("Pick or drop a kernel first.");
  boot(
    {
      type: "boot",
      kernel: picked.kernel,
      ...(picked.initrd ? { initrd: picked.initrd } : {}),
      disks: picked.disks,
      ...linuxOptions(),
    },
    `${picked.kernel.name}${picked.initrd ? ` with ${picked.initrd.name}` : ""}`,
  );
}

function showPicked(): void {
  const items: [string, NamedBytes | undefined][] = [
    ["kernel", picked.kernel],
    ["initramfs", picked.initrd],
    ...picked.disks.map((d, i): [string, NamedBytes] => [`disk vd${"abcdefgh"[i] ?? "?"}`, d]),
  ];
  byId("picked").replaceChildren(
    ...items
      .filter((x): x is [string, NamedBytes] => x[1] !== undefined)
      .map(([role, f]) => {
        const li = document.createElement("li");
        li.textContent = `${role}: ${f.name} (${(f.bytes.length / 2 ** 20).toFixed(1)} MiB)`;
        return li;
      }),
  );
}

async function addFiles(files: readonly File[], role?: "kernel" | "initrd" | "disk") {
  for (const file of files) {
    const f = await readFile(file);
    const r = role ?? classify(f.bytes);
    if (r === "kernel") picked.kernel = f;
    else if (r === "initrd") picked.initrd = f;
    else picked.disks.push(f);
  }
  showPicked();
}

function wireFiles(): void {
  const input = (id: string, role: "kernel" | "initrd" | "disk") => {
    const el = byId<HTMLInputElement>(id);
    el.addEventListener("change", () => {
      if (role === "disk") picked.disks = [];
      void addFiles([...(el.files ?? [])], role);
    });
  };
  input("pick-kernel", "kernel");
  input("pick-initrd", "initrd");
  input("pick-disks", "disk");
  const drop = byId("drop");
  for (const type of ["dragenter", "dragover"])
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    void addFiles([...(e.dataTransfer?.files ?? [])]);
  });
}

function guard(action: () => Promise<void> | void): () => void {
  return () => {
    Promise.resolve()
      .then(action)
      .catch((e: unknown) => {
        panel.state("failed", "failed");
        note(e instanceof Error ? e.message : String(e));
      });
  };
}

async function start(): Promise<void> {
  wireFiles();
  byId("boot-demo").addEventListener("click", guard(bootDemo));
  byId("boot-files").addEventListener("click", guard(bootPicked));
  byId("stop").addEventListener("click", () => vm.stop());
  byId("reset").addEventListener("click", () => {
    if (last) boot(last.request, last.title);
  });
  if (!globalThis.crossOriginIsolated) {
    panel.state("failed", "not isolated");
    note(
      "This page needs cross-origin isolation (Cross-Origin-Opener-Policy: same-origin and " +
        "Cross-Origin-Embedder-Policy: require-corp) for SharedArrayBuffer: serve it with " +
        "`npx gunyah web` or a host that sends these headers.",
    );
    return;
  }
  const assets = await serverAssets();
  if (assets && "hint" in assets) {
    byId("server-hint").textContent = assets.hint;
    byId("server-hint").hidden = false;
  } else if (assets) {
    const select = byId<HTMLSelectElement>("server-initrd");
    select.replaceChildren(
      ...assets.initrds.map((name) => {
        const o = document.createElement("option");
        o.value = o.textContent = name;
        return o;
      }),
    );
    byId("server-assets").hidden = false;
    byId("boot-server").addEventListener(
      "click",
      guard(() => bootServerLinux(assets)),
    );
  }
  if (new URLSearchParams(location.search).get("boot") !== "none") await bootDemo();
}

void start();
