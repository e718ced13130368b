// Opens the host's user interface (the TypeScript /dev/gunyah) as the VMM's port.
// TODO(host): wire to src/host's openGunyah() once the host layer publishes its entry.

import type { HypervisorPort } from "../vmm/index.js";

export async function openHostPort(): Promise<HypervisorPort | string> {
  return "the host layer (src/host) is not available in this build yet";
}
