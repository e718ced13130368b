// Runs a conformance guest (guests/conformance/<name>.c) on gunyah-ts (`gunyah run`,
// every real layer, in process) and on qemu-system-aarch64 (virt, GICv3, cortex-a57:
// the reference nobody here wrote) with the same RAM, and returns both consoles.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { gunyahRunIn, type Tier } from "../tiers.js";

const BUILD = fileURLToPath(new URL("../../guests/conformance/build.sh", import.meta.url));
/** Both machines get this much RAM (guests/conformance/lib.h RAM_SIZE). */
export const RAM_MIB = 64;

const haveCross = spawnSync("aarch64-linux-gnu-gcc", ["--version"]).status === 0;
const haveQemu = spawnSync("qemu-system-aarch64", ["--version"]).status === 0;

/** A skip reason when the cross compiler or QEMU is missing (node:test's `skip`). */
export const skipReason: string | false =
  (!haveCross && "no aarch64-linux-gnu-gcc to build the conformance guests") ||
  (!haveQemu && "no qemu-system-aarch64 to compare with") ||
  false;

let outDir: string | undefined;

/** Builds every conformance guest once per process; returns the output folder. */
function built(): string {
  if (outDir) return outDir;
  const dir = mkdtempSync(join(tmpdir(), "gunyah-conformance-"));
  const r = spawnSync("sh", [BUILD, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build.sh failed: ${r.stderr}`);
  outDir = dir;
  return dir;
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Console output with line endings normalised (both UARTs pass bytes through). */
const normalise = (s: string) => s.replace(/\r\n/g, "\n");

export function runOnQemu(name: string, extraArgs: readonly string[] = []): Run {
  return runElfOnQemu(join(built(), `${name}.elf`), extraArgs);
}

/** Runs a guest ELF linked like guests/conformance's on qemu-system-aarch64. */
export function runElfOnQemu(elf: string, extraArgs: readonly string[] = []): Run {
  const q = spawnSync(
    "qemu-system-aarch64",
    [
      "-M",
      "virt,gic-version=3",
      "-cpu",
      "cortex-a57",
      "-m",
      String(RAM_MIB),
      "-nodefaults",
      "-display",
      "none",
      "-monitor",
      "none",
      "-serial",
      "stdio",
      "-no-reboot",
      ...extraArgs,
      "-kernel",
      elf,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  return { code: q.status, stdout: normalise(q.stdout), stderr: q.stderr };
}

/** Runs the guest under `gunyah run` with the CPU forced to `tier` (test/tiers.ts). */
export async function runOnGunyah(
  name: string,
  extraArgs: readonly string[] = [],
  tier: Tier = "interpreter",
): Promise<Run> {
  return runBinOnGunyah(join(built(), `${name}.bin`), extraArgs, tier);
}

/** Runs a guest image linked like guests/conformance's under `gunyah run` in `tier`. */
export async function runBinOnGunyah(
  bin: string,
  extraArgs: readonly string[],
  tier: Tier,
): Promise<Run> {
  const args = ["run", "--kernel", bin, "--memory", `${RAM_MIB}M`, "--timeout", "60", ...extraArgs];
  return gunyahRunIn(tier, args, async (argv) => {
    let stdout = "";
    let stderr = "";
    const decoder = new TextDecoder();
    const code = await main(argv, {
      stdout: (d) =>
        void (stdout += typeof d === "string" ? d : decoder.decode(d, { stream: true })),
      stderr: (t) => void (stderr += t),
      stdin: undefined,
      onInterrupt: undefined,
    });
    return { code, stdout: normalise(stdout), stderr };
  });
}
