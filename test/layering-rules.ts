// The layer rules of ARCHITECTURE.md as data. A layer may import itself freely; across
// layers it may import only the entries listed here. "x" means layer x's public entry
// (x/index.ts), except lib, whose small helpers are imported file by file; "x/sub" means
// any file under that boundary folder (ABI headers and
// wire formats, which are the real interfaces between Gunyah's components).

/** Layers from the bottom up; a file's layer is the longest prefix that matches. */
export const LAYERS = [
  "lib",
  "arch/arm64",
  "hyp",
  "exec",
  "rm",
  "platform",
  "host",
  "vmm",
  "cli",
  "web",
] as const;

export type Layer = (typeof LAYERS)[number];

const ALLOWED: Record<Layer, readonly string[]> = {
  lib: [],
  "arch/arm64": ["lib"],
  hyp: ["lib", "arch/arm64"],
  exec: ["lib", "arch/arm64"],
  // The RM reaches the hypervisor only by hypercall: it sees the ABI, not the objects.
  rm: ["lib", "hyp/abi"],
  // Boot: the hypervisor starts the RM and the host VM and wires their queues.
  platform: ["lib", "hyp", "hyp/abi", "rm", "rm/protocol"],
  // The host talks to the hypervisor by hypercall and to the RM by RPC only.
  host: ["lib", "hyp/abi", "rm/protocol", "platform"],
  // The VMM uses only the host's user interface, as a real VMM uses /dev/gunyah.
  vmm: ["lib", "host"],
  cli: ["lib", "exec", "platform", "hyp/abi", "rm/protocol", "host", "vmm"],
  // The browser page and its Web Worker: the public entries the CLI uses, minus exec.
  web: ["lib", "platform", "host", "vmm"],
};

/**
 * Layers that may use Node's built-in modules and globals: the CLI (files, TTY, UDP,
 * HTTP) and `gunyah exec` (a Linux syscall layer over the host's files and processes,
 * Node-only by nature; the web entry never reaches it, which test/web/bundle.test.ts
 * checks). Every other layer runs in a browser tab too.
 */
export const NODE_LAYERS: readonly Layer[] = ["cli", "exec"];

/** Node globals that browsers lack (the Web APIs both have are fine: crypto, URL...). */
export const NODE_GLOBALS: ReadonlySet<string> = new Set([
  "process",
  "Buffer",
  "setImmediate",
  "clearImmediate",
  "require",
  "module",
  "__dirname",
  "__filename",
  "global",
]);

/** Why `file` may not import the module `specifier` for being Node's, or undefined. */
export function checkNodeImport(
  file: string,
  specifier: string,
  builtins: readonly string[],
): string | undefined {
  const layer = layerOf(file);
  if (layer && NODE_LAYERS.includes(layer)) return undefined;
  const bare = specifier.replace(/^node:/, "").split("/")[0] ?? "";
  if (specifier.startsWith("node:") || builtins.includes(bare))
    return `${layer ?? file} imports Node's ${specifier} (only ${NODE_LAYERS.join(", ")} may)`;
  return undefined;
}

export function layerOf(file: string): Layer | undefined {
  const matches = LAYERS.filter((l) => file === `${l}.ts` || file.startsWith(`${l}/`));
  return matches.sort((a, b) => b.length - a.length)[0];
}

function rank(layer: Layer): number {
  return LAYERS.indexOf(layer);
}

/** Returns why `from` may not import `to` (src-relative paths), or undefined if it may. */
export function checkImport(from: string, to: string): string | undefined {
  if (from === "index.ts") return undefined; // the package entry re-exports public APIs
  const a = layerOf(from);
  const b = layerOf(to);
  if (!a || !b) return `file outside the layers`;
  if (a === b) return undefined;
  const allowed = ALLOWED[a].some((entry) =>
    entry === b ? b === "lib" || to === `${b}/index.ts` : to.startsWith(`${entry}/`),
  );
  if (allowed) return undefined;
  if (rank(b) > rank(a)) return `${a} imports ${b}, a layer above it`;
  return `${a} may reach ${b} only through its boundary (${ALLOWED[a].join(", ") || "none"})`;
}

/** Depth-first search for an import cycle; returns it as a path, or undefined. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}
