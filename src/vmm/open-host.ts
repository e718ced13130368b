// Opens the host's /dev/gunyah as the VMM's host port, on a new platform (hypervisor,
// RM, host VM) or on one the caller booted. Physical RAM is allocated lazily by the
// hypervisor, so the platform is sized generously: the guest's memory plus room for
// the host's own use. Shared by `gunyah run` and the browser page's worker.

import { openGunyah, type OpenGunyahOptions } from "../host/index.js";
import { hostPort } from "./host-adapter.js";
import type { HypervisorPort } from "./host-port.js";
import type { Tracer } from "../lib/trace.js";

export interface HostRequirements {
  /** Bytes of guest memory the VM will need from the host. */
  readonly guestMemory: number;
  /** Boundary tracing for every layer (gunyah run --trace). */
  readonly tracer?: Tracer;
}

const MiB = 1024 * 1024;
const MIN_PLATFORM_RAM = 1024 * MiB;
/** The RM's RAM, the host's RPC buffers and allocator slack. */
const HOST_OVERHEAD = 128 * MiB;

/** Platform RAM for a guest of `guestMemory` bytes (2 MiB multiples, at least 1 GiB). */
export function platformRamFor(guestMemory: number): number {
  const want = guestMemory + HOST_OVERHEAD;
  const rounded = Math.ceil(want / (2 * MiB)) * 2 * MiB; // the platform wants 2 MiB multiples
  return Math.max(MIN_PLATFORM_RAM, rounded);
}

/**
 * The host port, or a message saying why there is none. `options.platform` runs the
 * host in an already-booted platform; otherwise one sized by `platformRamFor` boots.
 */
export async function openHostPort(
  req: HostRequirements,
  options: OpenGunyahOptions = {},
): Promise<HypervisorPort | string> {
  const device = await openGunyah({
    ...options,
    boot: {
      ramSize: platformRamFor(req.guestMemory),
      ...(req.tracer ? { tracer: req.tracer } : {}),
      ...options.boot,
    },
  });
  if (!device.ok) return `cannot open /dev/gunyah: ${device.error.message}`;
  return hostPort(device.value);
}
