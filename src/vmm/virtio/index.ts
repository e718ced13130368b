// virtio for the VMM (virtio 1.2): the virtio-mmio transport, split virtqueues and the
// blk, rng and console devices. The builder wires them in with `virtioDeviceSpecs`.
export { VirtioMmio, type VirtioMmioOptions } from "./mmio.js";
export type { BackendHost, ConfigField, QueueService, VirtioBackend } from "./backend.js";
export { readSegments, writeSegments } from "./backend.js";
export { parseChain, type Chain, type ChainError, type Segment } from "./chain.js";
export { SplitQueue, type QueueAreas } from "./queue.js";
export { VirtioBlock, BlkStatus, BlkType, SECTOR, type BlockOptions } from "./blk.js";
export { memoryStore, type BlockStore } from "./block-store.js";
export { VirtioRng } from "./rng.js";
export { VirtioConsole, CONSOLE_RX, CONSOLE_TX } from "./console.js";
export * as VirtioConstants from "./constants.js";
export {
  virtioDeviceSpecs,
  parseDiskOption,
  type DiskOptions,
  type VirtioDeviceOptions,
  type VirtioDevices,
} from "./specs.js";
