// Generic virtio feature bits and device status bits (virtio 1.2, sections 2.1 and 6),
// with their names for the inspector. Device-specific bits and their names belong to each
// device (its DeviceInfo). Features are bigints because the transport exposes them as
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

// Device status bits, spec 2.1. The driver sets all of them except DEVICE_NEEDS_RESET,
// which only the device sets.
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_DEVICE_NEEDS_RESET = 64;
export const STATUS_FAILED = 128;
/** Status bits a driver may set. Bits 4 and 5 are reserved; DEVICE_NEEDS_RESET is the device's. */
export const DRIVER_STATUS_BITS = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK | STATUS_FEATURES_OK | STATUS_FAILED;

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

/**
 * Names of the bits set in `bits`, lowest bit first: the generic ones from the spec, the
 * device's own from `deviceNames` (its DeviceInfo). Bits without a known name come out as
 * "bit N" so nothing the driver or device set is hidden from the inspector.
 */
export function featureNames(bits: bigint, deviceNames: ReadonlyArray<readonly [number, string]> = []): string[] {
  const names: string[] = [];
  if (bits < 0n) bits = BigInt.asUintN(128, bits); // never expected; keeps the loop finite
  for (let n = 0n; bits >> n !== 0n; n++) {
    const bit = 1n << n;
    if ((bits & bit) === 0n) continue;
    names.push(GENERIC_NAMES.get(bit) ?? deviceNames.find(([b]) => BigInt(b) === n)?.[1] ?? `bit ${n}`);
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
