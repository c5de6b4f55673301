// What a machine is, as plain data: memory, the kernel command line and an ordered list of
// devices, each with its type, its transport and place, per-queue options and its own
// options. The CLI's flags and --device options, the page's URL options, share links and
// saved states all produce or record one of these; whatever builds a machine reads it, and
// nothing else decides which devices exist (as QEMU's -device list or Firecracker's
// machine config). Versioned; read by one parser (parse-machine.ts) that names the field
// of every error.

import type { HostForward } from "./net-backend.js";

export type { HostForward } from "./net-backend.js";

export const MACHINE_DESCRIPTION_VERSION = 1;

export const DEVICE_TYPES = ["virtio-console", "virtio-rng", "virtio-blk", "virtio-net", "virtio-9p", "virtio-balloon"] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Where a device sits: on PCI (a slot on bus 0; omitted, the next free one). */
export interface PciPlacement {
  kind: "pci";
  slot?: number;
  /** The BAR kind holding the virtio structures (default mem32). */
  bar?: "io" | "mem32" | "mem64";
  /** Bytes between consecutive queues' doorbells (default 0: one doorbell for all). */
  notifyOffMultiplier?: number;
  /** MSI-X: a vector per queue and one for config changes (default off: the INTx line). */
  msix?: boolean;
}

/**
 * Where a device sits on virtio-mmio (version 2): a 512-byte register window and an
 * interrupt line, which the machine adds to the kernel command line (virtio_mmio.device=).
 * Omitted, the machine picks both.
 */
export interface MmioPlacement {
  kind: "mmio";
  /** Physical address of the register window (a multiple of MMIO_WINDOW_BYTES). */
  base?: number;
  /** The interrupt line (IRQ) it raises. */
  irq?: number;
}
export type TransportDescription = PciPlacement | MmioPlacement;

/** The virtqueue layout a device offers: split (the default) or packed (VIRTIO_F_RING_PACKED). */
export type RingLayout = "split" | "packed";
export const RING_LAYOUTS: readonly RingLayout[] = ["split", "packed"];

/** One queue's options, by queue index. */
export interface QueueDescription {
  /** Maximum size offered to the driver (a power of two). */
  size?: number;
}

/** Where a disk's bytes live: a file (CLI), memory, or a file in the browser's storage (page). */
export type DiskBackendDescription =
  | { kind: "file"; path: string; /** Created with this size (MiB) when missing. */ createSizeMiB?: number }
  | { kind: "memory"; sizeMiB: number }
  | { kind: "opfs"; name: string; sizeMiB: number };

export interface BlkOptions {
  backend: DiskBackendDescription;
  readOnly: boolean;
}

/**
 * What is at the other end of a network card's cable: the host network alone, or with a way
 * out (wisp: TCP over a wisp server; fetch: HTTP through the browser's fetch(); user: the
 * host's own sockets, Node only), or a tab switch or a v86 relay (page only).
 */
export type NetBackendDescription =
  | { kind: "host" }
  | { kind: "switch" }
  | { kind: "relay"; url: string }
  | { kind: "wisp"; url: string }
  | { kind: "fetch" }
  | { kind: "user"; hostfwd?: HostForward[] };

/** How the guest configures the card at boot: the machine's choice, DHCP, or an address. */
export type GuestIp = "auto" | "dhcp" | { address: string; prefix: number; gateway?: string };

export interface NetOptions {
  backend: NetBackendDescription;
  /** "aa:bb:cc:dd:ee:ff"; omitted, the machine picks one (52:54:00:12:34:56, then ...57, ...). */
  mac?: string;
  policy: "shared" | "per-queue";
  ip: GuestIp;
}

/** Where a shared folder's files live: a host directory (CLI), a folder in the browser's storage (page), or memory. */
export type ShareBackendDescription =
  | { kind: "directory"; path: string }
  | { kind: "opfs"; name: string }
  | { kind: "memory" };

export interface NinepOptions {
  backend: ShareBackendDescription;
  /** The mount tag the guest mounts it by (default "host"); rc.boot mounts it at /mnt/TAG. */
  tag: string;
  readOnly: boolean;
  /** Where the guest mounts it, when not /mnt/TAG (the machine says so on the command line). */
  mountPoint?: string;
}

export interface BalloonOptions {
  /** Memory the host asks the guest to give back from the start, MiB (default 0). */
  targetMiB: number;
}

interface DeviceCommon {
  /** A name for the device in logs and messages (default: its type, numbered from the second of a type). */
  id?: string;
  transport: TransportDescription;
  queues?: QueueDescription[];
  /**
   * The ring layout the device offers (default split). Packed is offered as well as split
   * (VIRTIO_F_RING_PACKED): a driver that does not take it still gets split rings.
   */
  ring?: RingLayout;
}

export type DeviceDescription =
  | (DeviceCommon & { type: "virtio-console" })
  | (DeviceCommon & { type: "virtio-rng" })
  | (DeviceCommon & { type: "virtio-blk"; options: BlkOptions })
  | (DeviceCommon & { type: "virtio-net"; options: NetOptions })
  | (DeviceCommon & { type: "virtio-9p"; options: NinepOptions })
  | (DeviceCommon & { type: "virtio-balloon"; options: BalloonOptions });

export type DeviceOf<T extends DeviceType> = Extract<DeviceDescription, { type: T }>;

/**
 * Where a kernel or an initrd comes from: the images shipped with ringside, a file (CLI),
 * an https address (page; fetched only once the user has said yes), or a file the user
 * gave the page, kept in the browser's storage.
 */
export type ImageSource =
  | { kind: "bundled" }
  | { kind: "file"; path: string }
  | { kind: "url"; url: string }
  | { kind: "opfs"; name: string };

/**
 * What the machine boots: a kernel (the bundled one by default) with an initrd or none, as
 * QEMU's -kernel/-initrd/-append do; or the firmware boots the first disk with its own
 * boot loader (SeaBIOS through virtio-blk).
 */
export type BootDescription =
  | { kind: "kernel"; kernel: ImageSource; initrd?: ImageSource }
  | { kind: "disk" };

export interface MachineDescription {
  version: typeof MACHINE_DESCRIPTION_VERSION;
  memoryMiB: number;
  /** The kernel command line; the machine adds what its devices need (ip= for the first card). */
  cmdline: string;
  /** What it boots; absent: the bundled kernel and initrd. */
  boot?: BootDescription;
  devices: DeviceDescription[];
}

/** The boot a description means when it says none: ringside's own kernel and initrd. */
export const BUNDLED_BOOT: BootDescription = { kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "bundled" } };

/** The description's disk size in MiB, when the description says it (a file's comes from the file). */
export function describedDiskMiB(backend: DiskBackendDescription): number | undefined {
  return backend.kind === "file" ? backend.createSizeMiB : backend.sizeMiB;
}
