// The CLI's host: a new platform (hypervisor, RM, host VM) with /dev/gunyah open on it,
// as the VMM's host port (src/vmm/open-host.ts, shared with the browser page).

export { openHostPort, platformRamFor, type HostRequirements } from "../vmm/index.js";
