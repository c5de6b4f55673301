// v86's own devices, which only the benchmarks put on a machine (to compare ringside's
// with them on the same guest): its virtio-console, its IDE disk, its network cards and its
// virtio-9p, as the hook the machine offers for them (MachineSetup.v86).
import type { V86Options } from "v86";
import type { V86Extras } from "../src/machine/v86-emulator.js";
import { listenToV86VirtioConsole } from "../src/v86/internals.js";
import { connectV86Nic, v86NicOption, type V86NicType } from "../src/v86/v86-nic.js";
import type { NetBackend } from "../src/backends/net/net-backend.js";
import { ipParameter, type GuestIpConfig } from "../src/machine/guest-ip.js";

/** v86's virtio-console beside ours; what the guest writes to it goes to `output`. */
export function v86VirtioConsole(output: (bytes: Uint8Array) => void): V86Extras {
  return {
    options: { virtio_console: { type: "none" } as unknown as V86Options["virtio_console"] },
    attach: (emulator) => listenToV86VirtioConsole(emulator, output),
  };
}

/** v86's IDE disk (primary master, /dev/sda) on these bytes, which v86 reads and writes in place. */
export function v86IdeDisk(buffer: ArrayBuffer): V86Extras {
  return { options: { hda: { buffer } }, keepIde: true };
}

/**
 * v86's virtio-9p on an empty in-memory filesystem of its own (tag host9p; rc.boot mounts it
 * at /mnt/host9p like any other share).
 */
export function v86Filesystem(): V86Extras {
  return { options: { filesystem: {} } };
}

/** v86's card (ne2k or its virtio-net) on `backend`, configured by the kernel's ip=. */
export function v86Nic(type: V86NicType, backend: NetBackend, tick: (nowMs: number) => void, ip?: GuestIpConfig): V86Extras {
  return {
    options: { net_device: v86NicOption(type) as V86Options["net_device"] },
    attach: (emulator) => connectV86Nic(emulator, backend),
    tick,
    cmdline: ipParameter(ip),
  };
}
