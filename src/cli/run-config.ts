// `gunyah run --config vm.json`: the run options as a JSON file (Firecracker's
// --config-file and crosvm's --cfg habit). Keys are the long option names; the
// schema is documented in src/cli/README.md. The file is untrusted input: an unknown
// key or a value of the wrong type is an error that names the key.

import { readFile } from "node:fs/promises";

type KeyType = "string" | "string-or-number" | "number" | "boolean" | "string-array";

/** Key -> [the RunOptions field it sets, its JSON type]. */
const SCHEMA: Readonly<Record<string, readonly [string, KeyType]>> = {
  kernel: ["kernel", "string"],
  initrd: ["initrd", "string"],
  append: ["append", "string"],
  memory: ["memory", "string-or-number"],
  cpus: ["cpus", "string-or-number"],
  timeout: ["timeout", "string-or-number"],
  "dtb-out": ["dtbOut", "string"],
  disk: ["disk", "string-array"],
  rng: ["rng", "boolean"],
  "virtio-console": ["virtioConsole", "boolean"],
  verbose: ["verbose", "boolean"],
  guest: ["guest", "string"],
  assets: ["assets", "string"],
  "on-unbacked": ["onUnbacked", "string"],
  "rtc-base": ["rtcBase", "string"],
};

/** Other spellings people use, for "did you mean". */
const SYNONYMS: Readonly<Record<string, string>> = {
  mem: "memory",
  m: "memory",
  smp: "cpus",
  vcpus: "cpus",
  cmdline: "append",
  "kernel-cmdline": "append",
  initramfs: "initrd",
  disks: "disk",
  drives: "disk",
  rtcbase: "rtc-base",
  rtc: "rtc-base",
};

export const CONFIG_KEYS = Object.keys(SCHEMA);

function typeOk(value: unknown, type: KeyType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "string-or-number":
      return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
    case "boolean":
      return typeof value === "boolean";
    case "string-array":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

const TYPE_NAMES: Readonly<Record<KeyType, string>> = {
  string: "a string",
  number: "a number",
  "string-or-number": "a string or a number",
  boolean: "true or false",
  "string-array": "an array of strings",
};

/** The settings of a parsed config object, as RunOptions fields, or the first error. */
export function parseRunConfig(json: unknown): Record<string, unknown> | string {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return "the file must hold one JSON object";
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const entry = SCHEMA[key];
    if (!entry) {
      const hint = SYNONYMS[key] ?? SYNONYMS[key.toLowerCase()];
      return `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; known keys: ${CONFIG_KEYS.join(", ")}`;
    }
    const [field, type] = entry;
    if (!typeOk(value, type)) return `key "${key}" must be ${TYPE_NAMES[type]}`;
    out[field] = typeof value === "number" ? String(value) : value;
  }
  return out;
}

/** Reads and parses `path`; errors name the file. */
export async function readRunConfig(path: string): Promise<Record<string, unknown> | string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    return `--config ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return `--config ${path}: not valid JSON: ${(e as Error).message}`;
  }
  const parsed = parseRunConfig(json);
  return typeof parsed === "string" ? `--config ${path}: ${parsed}` : parsed;
}
