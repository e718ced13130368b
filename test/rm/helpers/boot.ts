// A small platform for RM tests: 64 MiB of RAM, deterministic cap IDs, the real CPU.

import { createCpu } from "../../../src/arch/arm64/index.js";
import { bootPlatform, type Platform } from "../../../src/platform/index.js";
import { TestHostClient } from "./host-client.js";

export function bootTestPlatform(seed = 1): { platform: Platform; client: TestHostClient } {
  const platform = bootPlatform({
    ramSize: 64 * 1024 * 1024,
    rmRamSize: 4 * 1024 * 1024,
    seed,
    cpuFactory: createCpu,
  });
  return { platform, client: new TestHostClient(platform.host) };
}

/** The hypervisor's leak-relevant counters (objects, caps, page owners). */
export function leakSnapshot(platform: Platform): string {
  const s = platform.hypervisor.stats();
  return JSON.stringify({ objects: s.objects, caps: s.caps, pages: s.pages, owners: s.owners });
}
