// The CLI's host: a new platform (hypervisor, RM, host VM) with /dev/gunyah open on it,
// as the VMM's host port (src/vmm/open-host.ts, shared with the browser page). The CLI
// boots the platform itself so that it can read the hypervisor's run statistics for
// `gunyah run --stats` and the benchmarks.

import type { VcpuStats } from "../platform/index.js";
import { bootPlatform } from "../platform/index.js";
import {
  openHostPort as openHostOn,
  platformRamFor,
  type HostRequirements,
  type HypervisorPort,
} from "../vmm/index.js";

export { platformRamFor, type HostRequirements };

/** The VMM's host port, plus what the CLI reads from below it for --stats. */
export interface HostHandle extends HypervisorPort {
  /** Run statistics of every guest vCPU run on this host so far. */
  readonly vcpuStats?: () => readonly VcpuStats[];
}

export async function openHostPort(req: HostRequirements): Promise<HostHandle | string> {
  let platform;
  try {
    platform = bootPlatform({
      ramSize: platformRamFor(req.guestMemory),
      ...(req.tracer ? { tracer: req.tracer } : {}),
    });
  } catch (e) {
    return `platform boot failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  const port = await openHostOn(req, { platform });
  if (typeof port === "string") return port;
  const hypervisor = platform.hypervisor;
  return { ...port, vcpuStats: () => hypervisor.vcpuStats() };
}
