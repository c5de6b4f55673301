// The bundled initrd is two cpio archives one after the other (images/build.sh): ringside's
// userspace, then e2fsprogs' xz archive, which mkfs.ext4 and fsck unpack on first use. Only
// a machine with a disk has anything to format or check, so a machine without one is given
// the first archive alone: 1.4 MB less for the kernel to copy at every boot, and less RAM
// in a state saved from it. Its `mkfs.ext4` says why it is missing.
import type { DeviceDescription } from "../description/machine-description.js";
import { walkCpioArchive } from "./cpio-walk.js";

/** The bundled initrd as `devices` need it: whole with a virtio-blk disk, else its first archive. */
export function bundledInitrdFor(initrd: ArrayBuffer, devices: readonly DeviceDescription[]): ArrayBuffer {
  if (devices.some((d) => d.type === "virtio-blk")) return initrd;
  const walk = walkCpioArchive(new Uint8Array(initrd));
  // Anything else (a single archive, one that does not read) goes as it is: the checks name a broken one.
  if ("problem" in walk || walk.end >= initrd.byteLength) return initrd;
  return initrd.slice(0, walk.end);
}
