// What a hostile guest needs to know about a virtio-pci function, found the way a driver
// finds it: the vendor capabilities in PCI configuration space (virtio 1.2, 4.1.4) say
// which BAR holds each structure and where; the field offsets inside the common
// configuration and the split ring are the spec's. Nothing here is read from ringside's
// own layout code, so the attacks do not depend on how we happen to lay the BAR out.

/** Offsets inside struct virtio_pci_common_cfg (4.1.4.3). */
export const COMMON = {
  deviceFeatureSelect: 0x00,
  deviceFeature: 0x04,
  driverFeatureSelect: 0x08,
  driverFeature: 0x0c,
  numQueues: 0x12,
  status: 0x14,
  queueSelect: 0x16,
  queueSize: 0x18,
  queueEnable: 0x1c,
  queueNotifyOff: 0x1e,
  queueDesc: 0x20,
  queueDriver: 0x28,
  queueDevice: 0x30,
} as const;

/** Device status bits (2.1). */
export const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 0x40, FAILED: 0x80 } as const;
/** What Linux's driver leaves in the status register of a device it runs. */
export const RUNNING = STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK;

/** Split-ring descriptor flags (2.7.5). */
export const DESC = { NEXT: 1, WRITE: 2, INDIRECT: 4 } as const;

/** One structure: the BAR it lives in, its offset and length there. */
export interface VirtioStructure {
  bar: number;
  offset: number;
  length: number;
}

export interface VirtioCapabilities {
  common: VirtioStructure;
  notify: VirtioStructure & { multiplier: number };
  isr: VirtioStructure;
  device: VirtioStructure;
}

const CAP_VENDOR = 0x09;
const CAP_LIST_STATUS_BIT = 0x10;
const CAP_POINTER = 0x34;

/** Walks the capability list of a 256-byte configuration space and returns the virtio structures. */
export function parseVirtioCapabilities(config: Uint8Array): VirtioCapabilities {
  const u32 = (at: number) => (config[at]! | (config[at + 1]! << 8) | (config[at + 2]! << 16) | (config[at + 3]! << 24)) >>> 0;
  if (!(config[0x06]! & CAP_LIST_STATUS_BIT)) throw new Error("the function has no capability list");
  const found = new Map<number, VirtioStructure & { multiplier: number }>();
  const seen = new Set<number>();
  for (let at = config[CAP_POINTER]! & 0xfc; at !== 0; at = config[at + 1]! & 0xfc) {
    if (seen.has(at) || at < 0x40) throw new Error(`capability list loops or points into the header at 0x${at.toString(16)}`);
    seen.add(at);
    if (config[at] !== CAP_VENDOR) continue;
    const cfgType = config[at + 3]!;
    // The first capability of each type is the one to use (4.1.4.1).
    if (!found.has(cfgType)) {
      found.set(cfgType, { bar: config[at + 4]!, offset: u32(at + 8), length: u32(at + 12), multiplier: cfgType === 2 ? u32(at + 16) : 0 });
    }
  }
  const get = (type: number, name: string) => {
    const s = found.get(type);
    if (!s) throw new Error(`no virtio ${name} capability`);
    return s;
  };
  return { common: get(1, "common"), notify: get(2, "notify"), isr: get(3, "ISR"), device: get(4, "device") };
}

/** Parses `od -An -tx1 -v` output back into bytes. */
export function parseOdHex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).filter(Boolean).map((h) => Number.parseInt(h, 16)));
}
