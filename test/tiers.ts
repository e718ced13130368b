// The CPU's two execution tiers for the differential suites: the interpreter alone and
// the WebAssembly JIT compiling every block on first sight (threshold 0). Every suite
// that compares the CPU with a reference (QEMU, the golden records) runs both through
// this file, so a tier is always named and always forced explicitly: the results keep
// their meaning whichever tier becomes the default (src/arch/arm64/tiering.ts).
//
// Two ways to force a tier: the environment (GUNYAH_JIT, GUNYAH_JIT_THRESHOLD), read
// when a CPU is created deep inside `gunyah exec` or `gunyah run` (`underTier` sets
// them around the body that creates the CPU and restores them after it, after the
// promise settles for an async body); or `CpuOptions.jit` where a test creates the CPU
// itself (`cpuJit`).

import type { CpuOptions, JitStats } from "../src/arch/arm64/index.js";

export type Tier = "interpreter" | "jit";
export const TIERS: readonly Tier[] = ["interpreter", "jit"];

const ENV: Record<Tier, Record<string, string | undefined>> = {
  interpreter: { GUNYAH_JIT: "0", GUNYAH_JIT_THRESHOLD: undefined },
  jit: { GUNYAH_JIT: "1", GUNYAH_JIT_THRESHOLD: "0" },
};

/** The variables a child process or `gunyah` command line needs to force `tier`. */
export function tierEnv(tier: Tier): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ENV[tier])) if (v !== undefined) out[k] = v;
  return out;
}

/** `CpuOptions.jit` forcing the tier on a CPU a test creates itself. */
export function cpuJit(tier: Tier): CpuOptions["jit"] {
  return tier === "jit" ? { threshold: 0 } : false;
}

/**
 * Throws unless the run really was in the tier asked for: the JIT tier must exist and
 * have run some instructions as compiled code (else a "jit" pass would only repeat the
 * interpreter's), the interpreter must have no JIT at all.
 */
export function assertRanIn(tier: Tier, stats: JitStats | undefined, what: string): void {
  if (tier === "interpreter" && stats !== undefined)
    throw new Error(`${what}: a JIT tier was present on the interpreter-only run`);
  if (tier === "jit" && (stats === undefined || stats.instructions === 0))
    throw new Error(`${what}: the JIT tier ran no compiled code (${JSON.stringify(stats)})`);
}

/** Runs `body` with the tier's variables set; restores the previous environment. */
export function underTier<T>(tier: Tier, body: () => T): T {
  const saved = Object.keys(ENV[tier]).map((k) => [k, process.env[k]] as const);
  const restore = () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  for (const [k, v] of Object.entries(ENV[tier])) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let result: T;
  try {
    result = body();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** Declares the tests of `declare` once per tier; `run` wraps what creates a CPU. */
export function forEachTier(declare: (tier: Tier, run: <T>(body: () => T) => T) => void): void {
  for (const tier of TIERS) declare(tier, (body) => underTier(tier, body));
}

/** What a `gunyah run` under a tier must be given: the tier's own option. */
const RUN_OPTION: Record<Tier, string[]> = {
  // --no-jit is the user's way to select the interpreter; it also sets GUNYAH_JIT=0 for
  // the process, which underTier restores afterwards.
  interpreter: ["--no-jit"],
  // --stats, to check that compiled code ran (`stats: jit: N% of instructions compiled`).
  jit: ["--stats"],
};

/**
 * Runs a `gunyah run` command line (`run` calls the CLI with the arguments) forced to
 * `tier`, and checks from its stderr that the JIT pass did run compiled code.
 */
export async function gunyahRunIn<R extends { readonly stderr: string }>(
  tier: Tier,
  args: readonly string[],
  run: (args: string[]) => Promise<R>,
): Promise<R> {
  const result = await underTier(tier, () => run([...args, ...RUN_OPTION[tier]]));
  if (tier === "jit") {
    const share = /stats: jit: ([\d.]+)% of instructions compiled/.exec(result.stderr)?.[1];
    if (share === undefined || Number(share) === 0)
      throw new Error(`gunyah ${args.join(" ")}: the JIT tier ran no compiled code`);
  }
  return result;
}
