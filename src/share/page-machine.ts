// The page's machine, apart from the DOM: its persistent disk, its kernel command line and
// the description its URL options (?disk, ?net, ?policy, ?relay, ?boot) stand for. It lives beside
// the share links because a link is read in the page's words: a version-1 link is these
// options, and a version-2 link's machine boots on this command line. images/
// make-shell-state.ts builds the instant shell's machine from here too, so the shipped
// snapshot is the machine the page would boot.
import {
  DEFAULT_OPTIONS, MACHINE_DESCRIPTION_VERSION, type DeviceDescription, type DiskRequest, type MachineDescription, type MachineOptions,
  type NetworkRequest,
} from "../worker/api.js";

/** The page's disk: kept in this browser's storage (OPFS) across reloads. */
export const PAGE_DISK: DiskRequest = { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 };

/**
 * The page's shared folder: the OPFS folder "shared", mounted by the guest at /mnt/host (tag
 * "host") and shown in the Files panel. It persists across reloads like the disk.
 */
export const PAGE_SHARE = { name: "shared", tag: "host" } as const;
export type ShareRequest = typeof PAGE_SHARE;

/**
 * Tells the guest's /etc/rc.boot that /dev/vda is this page's own disk, which it mounts
 * at /mnt and may format (only when it is blank). The CLI never passes it.
 */
export const PERSISTENT_DISK_ARG = "ringside.disk=persistent";

/**
 * The page's own kernel command line for `devices`: the default, and the persistent-disk
 * word when the first disk (/dev/vda) is in this browser's storage.
 */
export function pageCmdline(devices: readonly DeviceDescription[]): string {
  const first = devices.find((d) => d.type === "virtio-blk");
  const persistent = first?.type === "virtio-blk" && first.options.backend.kind === "opfs";
  return persistent ? `${DEFAULT_OPTIONS.cmdline} ${PERSISTENT_DISK_ARG}` : DEFAULT_OPTIONS.cmdline;
}

/** The machine options of a page with or without its disk (before a share link's changes). */
export function pageMachineOptions(disk: DiskRequest | undefined): MachineOptions {
  return disk ? { ...DEFAULT_OPTIONS, cmdline: `${DEFAULT_OPTIONS.cmdline} ${PERSISTENT_DISK_ARG}` } : DEFAULT_OPTIONS;
}

/**
 * The page's machine as a description: the console and the rng, the persistent disk when
 * the page has one, a network card unless ?net=none (a relay's card asks for DHCP), and the
 * shared folder when asked for (`share`; last, so the other devices keep their places and
 * share links, which describe machines without it, stay as they were), then the balloon when
 * asked for. With ?boot=disk the firmware boots the persistent disk (its boot loader, kernel and
 * command line) instead of ringside's kernel.
 */
export function pageMachine(
  options: MachineOptions, disk: DiskRequest | undefined, network: NetworkRequest, boot: "kernel" | "disk" = "kernel", share?: ShareRequest,
  balloon = false,
): MachineDescription {
  if (boot === "disk" && !disk) throw new Error("booting from the disk needs the page's persistent disk");
  const transport = { kind: "pci" as const };
  const devices: DeviceDescription[] = [{ type: "virtio-console", transport }, { type: "virtio-rng", transport }];
  if (disk) devices.push({ type: "virtio-blk", transport, options: { backend: { kind: "opfs", name: disk.name, sizeMiB: disk.sizeMiB }, readOnly: false } });
  if (network.kind !== "none") {
    const backend = network.kind === "relay" || network.kind === "wisp" ? { kind: network.kind, url: network.url } : { kind: network.kind };
    devices.push({ type: "virtio-net", transport, options: { backend, policy: network.policy ?? "shared", ip: network.kind === "relay" ? "dhcp" : "auto" } });
  }
  if (share) devices.push({ type: "virtio-9p", transport, options: { backend: { kind: "opfs", name: share.name }, tag: share.tag, readOnly: false } });
  // Last, like the share: the memory the Machine panel asks the guest to give back (none yet).
  if (balloon) devices.push({ type: "virtio-balloon", transport, options: { targetMiB: 0 } });
  return { version: MACHINE_DESCRIPTION_VERSION, memoryMiB: options.memoryMiB, cmdline: options.cmdline, ...(boot === "disk" ? { boot: { kind: "disk" as const } } : {}), devices };
}
