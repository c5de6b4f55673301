// Glossary entries for a device's header: the device status bits, feature
// bits (the generic ones and each device's main ones; any other bit of a device falls
// back to that device's "Feature bits" section), and where each device type is specified.
import { sec, type Explanation, type SpecSection } from "./glossary-spec.js";

const STATUS = sec("2.1", "Device Status Field");
const RESERVED_BITS = sec("6", "Reserved Feature Bits");
const e = (text: string, section: SpecSection): Explanation => ({ text, section });

export interface DeviceSections {
  readonly device: SpecSection;
  readonly features: SpecSection;
  readonly config: SpecSection;
  readonly operation: SpecSection;
}

function sections(n: string, title: string): DeviceSections {
  return {
    device: sec(n, title),
    features: sec(`${n}.3`, "Feature bits"),
    config: sec(`${n}.4`, "Device configuration layout"),
    operation: sec(`${n}.6`, "Device Operation"),
  };
}

const DEVICE_TYPES = sec("5", "Device Types");
/** virtio 1.2 lists the 9P transport (ID 9) among the device types without a section of its own. */
const NINEP: DeviceSections = { device: DEVICE_TYPES, features: DEVICE_TYPES, config: DEVICE_TYPES, operation: DEVICE_TYPES };

export const DEVICE_SECTIONS: Readonly<Record<string, DeviceSections>> = {
  "virtio-net": sections("5.1", "Network Device"),
  "virtio-blk": sections("5.2", "Block Device"),
  "virtio-console": sections("5.3", "Console Device"),
  "virtio-rng": sections("5.4", "Entropy Device"),
  "virtio-balloon": sections("5.5", "Traditional Memory Balloon Device"),
  "virtio-9p": NINEP,
};

/** Feature-name prefixes of each device (as its DeviceInfo names its bits). */
const FEATURE_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ["NET_F_", "virtio-net"], ["BLK_F_", "virtio-blk"], ["CONSOLE_F_", "virtio-console"], ["BALLOON_F_", "virtio-balloon"], ["9P_", "virtio-9p"],
];

export function deviceSection(device: string): DeviceSections | undefined {
  return DEVICE_SECTIONS[device];
}

const net = DEVICE_SECTIONS["virtio-net"]!.features;
const blk = DEVICE_SECTIONS["virtio-blk"]!.features;
const con = DEVICE_SECTIONS["virtio-console"]!.features;
const bal = DEVICE_SECTIONS["virtio-balloon"]!.features;

const STATUS_TERMS: ReadonlyArray<readonly [string, Explanation]> = [
  ["status:ACKNOWLEDGE", e("Bit 0, set by the guest: it found the device and recognised it as a virtio device.", STATUS)],
  ["status:DRIVER", e("Bit 1, set by the guest: it has a driver for this kind of device.", STATUS)],
  ["status:FEATURES_OK", e("Bit 3: the driver wrote the features it accepts and the device agreed; after this the feature set is fixed.", STATUS)],
  ["status:DRIVER_OK", e("Bit 2: the driver finished setting up its queues and the device is live.", STATUS)],
  ["status:DEVICE_NEEDS_RESET", e("Bit 6, set by the device: something went wrong (here, usually the guest broke the ring protocol) and it stops until the driver resets it.", STATUS)],
  ["status:FAILED", e("Bit 7, set by the guest: its driver gave up on the device.", STATUS)],
  ["device.status", e("The device status field: the steps of initialisation the driver has completed, one bit each (the device is active once DRIVER_OK is set). Writing 0 resets the device.", STATUS)],
  ["device.configGeneration", e("A counter the device changes whenever its configuration space changes, so the driver can tell that a multi-byte read was not torn.", sec("2.5", "Device Configuration Space"))],
  ["device.features", e("Feature bits the device offers; lit ones are those the driver accepted. Only features both sides agree on are used.", sec("2.2", "Feature Bits"))],
  ["device.config", e("The device-specific configuration space: fields the driver reads (and a few it writes), laid out by the device type.", sec("2.5", "Device Configuration Space"))],
  ["device.lastError", e("Why the device last set DEVICE_NEEDS_RESET: the guest did something the specification does not allow.", STATUS)],
];

const FEATURE_TERMS: ReadonlyArray<readonly [string, Explanation]> = [
  ["feature:VERSION_1", e("Bit 32: the device follows virtio 1.0 or later rather than the legacy interface. A modern driver must accept it.", RESERVED_BITS)],
  ["feature:RING_INDIRECT_DESC", e("Bit 28: a descriptor may point to a table of further descriptors, so one ring slot carries a long chain.", RESERVED_BITS)],
  ["feature:RING_EVENT_IDX", e("Bit 29: notification suppression by index (used_event and avail_event) instead of on/off flags.", RESERVED_BITS)],
  ["feature:RING_PACKED", e("Bit 34: the queues use the packed layout (one descriptor ring) instead of the split one.", RESERVED_BITS)],
  ["feature:IN_ORDER", e("Bit 35: the device returns buffers in the order it got them, which lets the driver skip some bookkeeping.", RESERVED_BITS)],
  ["feature:ACCESS_PLATFORM", e("Bit 33: the device reaches guest memory through the platform's IOMMU or similar translation.", RESERVED_BITS)],
  ["feature:ORDER_PLATFORM", e("Bit 36: memory accesses need the platform's ordering (real hardware); an emulated device does not.", RESERVED_BITS)],
  ["feature:SR_IOV", e("Bit 37: the device supports PCI single-root I/O virtualisation.", RESERVED_BITS)],
  ["feature:NOTIFICATION_DATA", e("Bit 38: a kick carries the ring position along with the queue number.", RESERVED_BITS)],
  ["feature:NOTIF_CONFIG_DATA", e("Bit 39: the driver uses a value the device supplies when it notifies a queue.", RESERVED_BITS)],
  ["feature:RING_RESET", e("Bit 40: the driver may reset and re-enable a single queue.", RESERVED_BITS)],
  ["feature:ADMIN_VQ", e("Bit 41: an administration queue (defined after virtio 1.2, in 1.3).", RESERVED_BITS)],
  ["feature:NOTIFY_ON_EMPTY", e("Bit 24, legacy: the device interrupts when a queue runs empty even if interrupts are suppressed.", sec("6.3", "Legacy Interface: Reserved Feature Bits"))],
  ["feature:ANY_LAYOUT", e("Bit 27, legacy: the device does not depend on how a request is split into descriptors (always so from 1.0).", sec("6.3", "Legacy Interface: Reserved Feature Bits"))],
  ["feature:NET_F_CSUM", e("The device can finish checksums of packets the guest sends (checksum offload).", net)],
  ["feature:NET_F_GUEST_CSUM", e("The guest accepts received packets whose checksum is not filled in but known to be good.", net)],
  ["feature:NET_F_MTU", e("The config space's mtu field holds the largest packet the device advises.", net)],
  ["feature:NET_F_MAC", e("The config space's mac field holds the card's address.", net)],
  ["feature:NET_F_GUEST_TSO4", e("The guest accepts large TCP/IPv4 segments that the device did not cut into packets.", net)],
  ["feature:NET_F_HOST_TSO4", e("The device accepts large TCP/IPv4 segments from the guest and cuts them into packets itself.", net)],
  ["feature:NET_F_MRG_RXBUF", e("A received packet may span several receive buffers (merged buffers).", net)],
  ["feature:NET_F_STATUS", e("The config space's status field says whether the link is up.", net)],
  ["feature:NET_F_CTRL_VQ", e("The device has a control queue for commands (receive modes, MAC filters, VLANs).", net)],
  ["feature:NET_F_CTRL_RX", e("Receive modes (promiscuous, all-multicast) are set through the control queue.", net)],
  ["feature:NET_F_MQ", e("Several receive/transmit queue pairs (multiqueue).", net)],
  ["feature:NET_F_CTRL_GUEST_OFFLOADS", e("The driver may switch receive offloads on and off through the control queue.", net)],
  ["feature:NET_F_GUEST_TSO6", e("The guest accepts large TCP/IPv6 segments that the device did not cut into packets.", net)],
  ["feature:NET_F_GUEST_ECN", e("The guest accepts large TCP segments carrying ECN bits.", net)],
  ["feature:NET_F_GUEST_UFO", e("The guest accepts large UDP datagrams that were not fragmented.", net)],
  ["feature:NET_F_HOST_TSO6", e("The device accepts large TCP/IPv6 segments from the guest and cuts them itself.", net)],
  ["feature:NET_F_HOST_ECN", e("The device accepts large TCP segments with ECN bits from the guest.", net)],
  ["feature:NET_F_HOST_UFO", e("The device accepts large UDP datagrams from the guest and fragments them itself.", net)],
  ["feature:NET_F_CTRL_VLAN", e("VLAN filtering is set through the control queue.", net)],
  ["feature:NET_F_GUEST_ANNOUNCE", e("The driver can announce the guest on the network (gratuitous ARP) when the device asks, e.g. after a migration.", net)],
  ["feature:NET_F_CTRL_MAC_ADDR", e("The driver may set the card's MAC address through the control queue.", net)],
  ["feature:BLK_F_SIZE_MAX", e("The config space's size_max field bounds the size of one data segment.", blk)],
  ["feature:BLK_F_SEG_MAX", e("The config space's seg_max field bounds the segments in one request.", blk)],
  ["feature:BLK_F_BLK_SIZE", e("The config space's blk_size field gives the disk's block size.", blk)],
  ["feature:BLK_F_FLUSH", e("The device takes flush requests (write its cache out to the disk).", blk)],
  ["feature:BLK_F_RO", e("The disk is read-only.", blk)],
  ["feature:BLK_F_MQ", e("Several request queues (config num_queues).", blk)],
  ["feature:BLK_F_GEOMETRY", e("The config space's geometry fields give a legacy cylinders/heads/sectors layout.", blk)],
  ["feature:BLK_F_TOPOLOGY", e("The config space describes physical blocks and alignment, for better-sized I/O.", blk)],
  ["feature:BLK_F_CONFIG_WCE", e("The driver can read and switch the write cache mode (writeback field).", blk)],
  ["feature:BLK_F_DISCARD", e("The device takes discard requests: ranges the guest no longer needs.", blk)],
  ["feature:BLK_F_WRITE_ZEROES", e("The device takes write-zeroes requests, zeroing ranges without data buffers.", blk)],
  ["feature:BLK_F_LIFETIME", e("The device reports how worn its storage is (a lifetime request).", blk)],
  ["feature:BLK_F_SECURE_ERASE", e("The device takes secure erase requests.", blk)],
  ["feature:CONSOLE_F_SIZE", e("The config space's cols and rows fields hold the console's size.", con)],
  ["feature:CONSOLE_F_MULTIPORT", e("Several ports on one device, set up through control queues.", con)],
  ["feature:CONSOLE_F_EMERG_WRITE", e("The driver may write single characters through the emerg_wr config field, before any queue works.", con)],
  ["feature:BALLOON_F_MUST_TELL_HOST", e("The guest must tell the host before it uses pages it had given up.", bal)],
  ["feature:BALLOON_F_FREE_PAGE_HINT", e("The guest hints which of its pages are free, so a migration can skip them.", bal)],
  ["feature:BALLOON_F_PAGE_POISON", e("The guest tells the host the value it fills freed pages with.", bal)],
  ["feature:BALLOON_F_STATS_VQ", e("A statistics queue through which the guest reports its memory figures.", bal)],
  ["feature:BALLOON_F_DEFLATE_ON_OOM", e("The guest may take pages back from the balloon when it runs out of memory.", bal)],
  ["feature:BALLOON_F_PAGE_REPORTING", e("The guest reports free pages through the reporting queue so the host can reclaim them.", bal)],
  ["feature:9P_MOUNT_TAG", e("The config space holds the mount tag: the name the guest mounts this share by.", DEVICE_TYPES)],
];

export const DEVICE_TERMS: ReadonlyArray<readonly [string, Explanation]> = [
  ...STATUS_TERMS,
  ...FEATURE_TERMS,
  ...Object.entries(DEVICE_SECTIONS).map(([name, s]): [string, Explanation] => [
    `figures:${name}`,
    e(`What ringside's ${name} counts as it works: not part of the specification, but each figure follows the device operation it describes.`, s.operation),
  ]),
];

/** What the main config fields mean, beyond the device's own few words (keyed "device.field"). */
export const CONFIG_TEXT: Readonly<Record<string, string>> = {
  "virtio-net.mac": "The card's Ethernet address, which the driver adopts when NET_F_MAC is negotiated.",
  "virtio-net.status": "Bit 0 (LINK_UP) says whether the link is up; bit 1 (ANNOUNCE) asks the driver to announce itself on the network.",
  "virtio-net.max_virtqueue_pairs": "How many receive/transmit queue pairs the driver may use with multiqueue.",
  "virtio-net.mtu": "The largest packet the device advises the driver to send.",
  "virtio-blk.capacity": "The disk's size in 512-byte sectors, whatever its block size.",
  "virtio-blk.blk_size": "The block size the driver should use for best performance.",
  "virtio-blk.seg_max": "How many data buffers one request may carry.",
  "virtio-blk.writeback": "With CONFIG_WCE: 1 when the device caches writes, so the driver must flush.",
  "virtio-console.cols": "The console's width in characters.",
  "virtio-console.rows": "The console's height in characters.",
  "virtio-console.max_nr_ports": "How many ports the device can have with MULTIPORT.",
  "virtio-console.emerg_wr": "Writing a character here prints it at once, without any queue: for early or emergency output.",
  "virtio-balloon.num_pages": "The host writes how many 4 KiB pages it wants the guest to give up (inflate the balloon).",
  "virtio-balloon.actual": "The guest writes how many pages it has given up so far.",
  "virtio-9p.tag": "The name the guest mounts this share by (mount -t 9p TAG ...).",
};

/** A feature bit without an entry of its own: its device's "Feature bits" section, or the reserved bits. */
export function featureFallback(name: string): Explanation {
  const device = FEATURE_PREFIXES.find(([prefix]) => name.startsWith(prefix))?.[1];
  const where = device ? DEVICE_SECTIONS[device]?.features : undefined;
  if (where) return e(`VIRTIO_${name}: a feature bit of ${device}; its meaning is listed in the device's feature bits.`, where);
  return e(`${name}: a feature bit the inspector has no name for; bits 0-23 belong to the device type, 24 and up are reserved for the transport and rings.`, sec("2.2", "Feature Bits"));
}
