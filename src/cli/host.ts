// Boots the platform (hypervisor, RM, host VM) and opens the host's /dev/gunyah on it,
// as the VMM's host port. Physical RAM is allocated lazily by the hypervisor, so the
// platform is sized generously: the guest's memory plus room for the host's own use.

import { bootPlatform } from "../platform/index.js";
import { openGunyah } from "../host/index.js";
import { hostPort, type HypervisorPort } from "../vmm/index.js";

export interface HostRequirements {
  /** Bytes of guest memory the VM will need from the host. */
  readonly guestMemory: number;
}

const MiB = 1024 * 1024;
const MIN_PLATFORM_RAM = 1024 * MiB;
/** The RM's RAM, the host's RPC buffers and allocator slack. */
const HOST_OVERHEAD = 128 * MiB;

export function platformRamFor(guestMemory: number): number {
  const want = guestMemory + HOST_OVERHEAD;
  const rounded = Math.ceil(want / (2 * MiB)) * 2 * MiB; // the platform wants 2 MiB multiples
  return Math.max(MIN_PLATFORM_RAM, rounded);
}

export async function openHostPort(req: HostRequirements): Promise<HypervisorPort | string> {
  let platform;
  try {
    platform = bootPlatform({ ramSize: platformRamFor(req.guestMemory) });
  } catch (e) {
    return `platform boot failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  const device = await openGunyah({ platform });
  if (!device.ok) return `cannot open /dev/gunyah: ${device.error.message}`;
  return hostPort(device.value);
}
