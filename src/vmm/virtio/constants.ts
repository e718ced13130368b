// Numbers from the virtio 1.2 specification, declared once: the virtio-mmio register
// map (section 4.2.2), device status bits (2.1), reserved feature bits (6), split
// virtqueue flags (2.7.5, 2.7.6, 2.7.8) and the device IDs used here (5).

/** "virt" in little-endian ASCII (4.2.2: MagicValue). */
export const VIRTIO_MMIO_MAGIC = 0x7472_6976;
/** Version 2 is the non-legacy ("modern") interface (4.2.2: Version). */
export const VIRTIO_MMIO_VERSION = 2;
/** Our vendor ID: "GNYH" little-endian; the spec leaves the value to the device. */
export const VIRTIO_VENDOR_ID = 0x4859_4e47;
/** The register window of one device (QEMU virt's slot stride, 4.2.2's 0x100 + config). */
export const VIRTIO_MMIO_SIZE = 0x200;
export const VIRTIO_CONFIG_OFFSET = 0x100;

/** Register offsets (4.2.2, table "MMIO Device Register Layout"). */
export const Reg = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceId: 0x008,
  VendorId: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptAck: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ConfigGeneration: 0x0fc,
} as const;

/** Device status bits (2.1). */
export const Status = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

/** InterruptStatus bits (4.2.2). */
export const Interrupt = { USED_BUFFER: 1, CONFIG_CHANGE: 2 } as const;

/** Reserved feature bits (6). */
export const Feature = {
  RING_INDIRECT_DESC: 1n << 28n,
  RING_EVENT_IDX: 1n << 29n,
  VERSION_1: 1n << 32n,
} as const;

/** Split virtqueue descriptor flags (2.7.5). */
export const DescFlag = { NEXT: 1, WRITE: 2, INDIRECT: 4 } as const;
/** VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.6). */
export const AVAIL_F_NO_INTERRUPT = 1;
/** The largest queue size a split virtqueue may have (2.7: Queue Size <= 32768). */
export const MAX_QUEUE_SIZE = 32768;

/** Device IDs (5). */
export const DeviceId = { BLOCK: 2, CONSOLE: 3, ENTROPY: 4 } as const;
