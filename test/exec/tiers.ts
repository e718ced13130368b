// The CPU's two execution tiers for the differential suites: the interpreter alone
// (GUNYAH_JIT=0) and the WebAssembly JIT compiling every block on first sight
// (GUNYAH_JIT_THRESHOLD=0). The CPU reads these variables when it is created
// (src/arch/arm64/tiering.ts on the JIT branch), so `run` sets them around the body
// that creates the CPU and restores them after it (after the promise settles for an
// async body). Where the CPU has no JIT tier the variables are ignored and both runs
// use the interpreter.

export type Tier = "interpreter" | "jit";

const ENV: Record<Tier, Record<string, string | undefined>> = {
  interpreter: { GUNYAH_JIT: "0", GUNYAH_JIT_THRESHOLD: undefined },
  jit: { GUNYAH_JIT: "1", GUNYAH_JIT_THRESHOLD: "0" },
};

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
  for (const tier of ["interpreter", "jit"] as const)
    declare(tier, (body) => underTier(tier, body));
}
