// The virtio-mmio register window (virtio 1.2, 4.2.2): 32-bit little-endian registers from
// 0x000 to 0x0fc, the device's configuration space from 0x100. Names as in the spec.

/** "virt" in little-endian ASCII. */
export const MMIO_MAGIC = 0x74726976;
/** The modern (non-legacy) virtio-mmio interface. */
export const MMIO_VERSION = 2;
/** The virtio subsystem vendor ID, as virtio-pci devices carry it. */
export const MMIO_VENDOR_ID = 0x1af4;

/** One device's window: the registers, then up to 0x100 bytes of device configuration. */
export const MMIO_WINDOW_SIZE = 0x200;
export const MMIO_CONFIG_OFFSET = 0x100;

export const REG = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceID: 0x008,
  VendorID: 0x00c,
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
  InterruptACK: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  SHMSel: 0x0ac,
  SHMLenLow: 0x0b0,
  SHMLenHigh: 0x0b4,
  SHMBaseLow: 0x0b8,
  SHMBaseHigh: 0x0bc,
  QueueReset: 0x0c0,
  ConfigGeneration: 0x0fc,
} as const;

export type RegisterName = keyof typeof REG;

/** InterruptStatus bits. */
export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;
