// Virtio feature bits and device status bits (virtio 1.2, sections 2.1 and 6), plus
// names for the inspector. Features are bigints because the transport exposes them as
// two 32-bit windows of a 64-bit set and bit 32 (VERSION_1) is the one that matters most.

// Generic (device-independent) feature bits, spec section 6 "Reserved Feature Bits".
export const VIRTIO_F_NOTIFY_ON_EMPTY = 1n << 24n;
export const VIRTIO_F_ANY_LAYOUT = 1n << 27n;
export const VIRTIO_F_RING_INDIRECT_DESC = 1n << 28n;
export const VIRTIO_F_RING_EVENT_IDX = 1n << 29n;
export const VIRTIO_F_VERSION_1 = 1n << 32n;
export const VIRTIO_F_ACCESS_PLATFORM = 1n << 33n;
export const VIRTIO_F_RING_PACKED = 1n << 34n;
export const VIRTIO_F_IN_ORDER = 1n << 35n;
export const VIRTIO_F_ORDER_PLATFORM = 1n << 36n;
export const VIRTIO_F_SR_IOV = 1n << 37n;
export const VIRTIO_F_NOTIFICATION_DATA = 1n << 38n;
export const VIRTIO_F_NOTIF_CONFIG_DATA = 1n << 39n;
export const VIRTIO_F_RING_RESET = 1n << 40n;
export const VIRTIO_F_ADMIN_VQ = 1n << 41n;

// Console (device type 3) feature bits, spec 5.3.3.
export const VIRTIO_CONSOLE_F_SIZE = 1n << 0n;
export const VIRTIO_CONSOLE_F_MULTIPORT = 1n << 1n;
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 1n << 2n;

// Device status bits, spec 2.1. The driver sets all of them except DEVICE_NEEDS_RESET,
// which only the device sets.
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_DEVICE_NEEDS_RESET = 64;
export const STATUS_FAILED = 128;

/** Virtio device IDs (spec 5) that the inspector names. */
export const DEVICE_TYPE_NET = 1;
export const DEVICE_TYPE_BLOCK = 2;
export const DEVICE_TYPE_CONSOLE = 3;
export const DEVICE_TYPE_ENTROPY = 4;

const GENERIC_NAMES: ReadonlyMap<bigint, string> = new Map([
  [VIRTIO_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY"],
  [VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT"],
  [VIRTIO_F_RING_INDIRECT_DESC, "RING_INDIRECT_DESC"],
  [VIRTIO_F_RING_EVENT_IDX, "RING_EVENT_IDX"],
  [VIRTIO_F_VERSION_1, "VERSION_1"],
  [VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM"],
  [VIRTIO_F_RING_PACKED, "RING_PACKED"],
  [VIRTIO_F_IN_ORDER, "IN_ORDER"],
  [VIRTIO_F_ORDER_PLATFORM, "ORDER_PLATFORM"],
  [VIRTIO_F_SR_IOV, "SR_IOV"],
  [VIRTIO_F_NOTIFICATION_DATA, "NOTIFICATION_DATA"],
  [VIRTIO_F_NOTIF_CONFIG_DATA, "NOTIF_CONFIG_DATA"],
  [VIRTIO_F_RING_RESET, "RING_RESET"],
  [VIRTIO_F_ADMIN_VQ, "ADMIN_VQ"],
]);

// Device-specific names, keyed by device type. Devices add their entries here so the
// inspector can name every bit without knowing the devices.
/** virtio-blk feature bits by number (spec 5.2.3), for names only: the device defines its own. */
const BLOCK_FEATURE_BITS: ReadonlyArray<[number, string]> = [
  [1, "BLK_F_SIZE_MAX"], [2, "BLK_F_SEG_MAX"], [4, "BLK_F_GEOMETRY"], [5, "BLK_F_RO"], [6, "BLK_F_BLK_SIZE"],
  [9, "BLK_F_FLUSH"], [10, "BLK_F_TOPOLOGY"], [11, "BLK_F_CONFIG_WCE"], [12, "BLK_F_MQ"], [13, "BLK_F_DISCARD"],
  [14, "BLK_F_WRITE_ZEROES"], [15, "BLK_F_LIFETIME"], [16, "BLK_F_SECURE_ERASE"],
];

/** virtio-net feature bits by number (spec 5.1.3), for names only: the device defines its own. */
const NET_FEATURE_BITS: ReadonlyArray<[number, string]> = [
  [0, "NET_F_CSUM"], [1, "NET_F_GUEST_CSUM"], [2, "NET_F_CTRL_GUEST_OFFLOADS"], [3, "NET_F_MTU"], [5, "NET_F_MAC"],
  [7, "NET_F_GUEST_TSO4"], [8, "NET_F_GUEST_TSO6"], [9, "NET_F_GUEST_ECN"], [10, "NET_F_GUEST_UFO"],
  [11, "NET_F_HOST_TSO4"], [12, "NET_F_HOST_TSO6"], [13, "NET_F_HOST_ECN"], [14, "NET_F_HOST_UFO"],
  [15, "NET_F_MRG_RXBUF"], [16, "NET_F_STATUS"], [17, "NET_F_CTRL_VQ"], [18, "NET_F_CTRL_RX"],
  [19, "NET_F_CTRL_VLAN"], [21, "NET_F_GUEST_ANNOUNCE"], [22, "NET_F_MQ"], [23, "NET_F_CTRL_MAC_ADDR"],
];

const DEVICE_NAMES: ReadonlyMap<number, ReadonlyMap<bigint, string>> = new Map([
  [DEVICE_TYPE_NET, new Map(NET_FEATURE_BITS.map(([bit, name]) => [1n << BigInt(bit), name]))],
  [DEVICE_TYPE_BLOCK, new Map(BLOCK_FEATURE_BITS.map(([bit, name]) => [1n << BigInt(bit), name]))],
  [
    DEVICE_TYPE_CONSOLE,
    new Map([
      [VIRTIO_CONSOLE_F_SIZE, "CONSOLE_F_SIZE"],
      [VIRTIO_CONSOLE_F_MULTIPORT, "CONSOLE_F_MULTIPORT"],
      [VIRTIO_CONSOLE_F_EMERG_WRITE, "CONSOLE_F_EMERG_WRITE"],
    ]),
  ],
]);

/**
 * Names of the bits set in `bits`, lowest bit first. Bits without a known name come out
 * as "bit N" so nothing the driver or device set is hidden from the inspector.
 */
export function featureNames(bits: bigint, deviceType?: number): string[] {
  const specific = deviceType === undefined ? undefined : DEVICE_NAMES.get(deviceType);
  const names: string[] = [];
  if (bits < 0n) bits = BigInt.asUintN(128, bits); // never expected; keeps the loop finite
  for (let n = 0n; bits >> n !== 0n; n++) {
    const bit = 1n << n;
    if ((bits & bit) === 0n) continue;
    names.push(GENERIC_NAMES.get(bit) ?? specific?.get(bit) ?? `bit ${n}`);
  }
  return names;
}

const STATUS_NAMES: readonly [number, string][] = [
  [STATUS_ACKNOWLEDGE, "ACKNOWLEDGE"],
  [STATUS_DRIVER, "DRIVER"],
  [STATUS_DRIVER_OK, "DRIVER_OK"],
  [STATUS_FEATURES_OK, "FEATURES_OK"],
  [STATUS_DEVICE_NEEDS_RESET, "DEVICE_NEEDS_RESET"],
  [STATUS_FAILED, "FAILED"],
];

/** Names of the status bits set in `status` (unknown bits as "bit N"). */
export function statusNames(status: number): string[] {
  const names: string[] = [];
  for (let n = 0; n < 8; n++) {
    const bit = 1 << n;
    if ((status & bit) === 0) continue;
    names.push(STATUS_NAMES.find(([b]) => b === bit)?.[1] ?? `bit ${n}`);
  }
  return names;
}

/** "0x..." for a feature set, for plain-data snapshots (JSON has no bigint). */
export function featureHex(bits: bigint): string {
  return `0x${bits.toString(16)}`;
}
