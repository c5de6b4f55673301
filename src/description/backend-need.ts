// What a device of a description needs from the environment that builds it: a disk, the
// other end of a network cable, or nothing. Whatever opens backends (the CLI, the page's
// worker), counts a state's disks or re-homes them asks this, never a device's type: a
// new device type says here what it needs, and they all follow.
import type { BlkOptions, DeviceDescription, NetOptions, NinepOptions } from "./machine-description.js";

export type BackendNeed =
  | { kind: "disk"; options: BlkOptions }
  | { kind: "network"; options: NetOptions }
  | { kind: "share"; options: NinepOptions }
  | { kind: "none" };

export function backendNeed(d: DeviceDescription): BackendNeed {
  switch (d.type) {
    case "virtio-blk": return { kind: "disk", options: d.options };
    case "virtio-net": return { kind: "network", options: d.options };
    case "virtio-9p": return { kind: "share", options: d.options };
    default: return { kind: "none" };
  }
}

/** How many devices of `devices` need a `kind` backend (a saved state keeps one entry per disk and per card). */
export function countNeeding(devices: readonly DeviceDescription[], kind: BackendNeed["kind"]): number {
  return devices.filter((d) => backendNeed(d).kind === kind).length;
}

/** `d` with its disk put on `backend` (what a restore does: the state's disk on this environment's storage). */
export function withDiskBackend(d: DeviceDescription, backend: BlkOptions["backend"]): DeviceDescription {
  return d.type === "virtio-blk" ? { ...d, options: { ...d.options, backend } } : d;
}

/** `d` with its card cabled to `backend`. */
export function withNetBackend(d: DeviceDescription, backend: NetOptions["backend"]): DeviceDescription {
  return d.type === "virtio-net" ? { ...d, options: { ...d.options, backend } } : d;
}
