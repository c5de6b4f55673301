// What the Disk panel says the page's disk holds, read from its first sectors the way the
// guest's rc.boot and the firmware would look: an ext2/3/4 superblock (mounted at /mnt by
// ringside's userspace), a partition table with a boot signature (not mounted; bootable
// with ?boot=disk), or neither (a blank disk is formatted at boot, anything else is left
// as it is). Two sectors per call: the panel asks once a second.
import type { DiskBackend } from "../backends/disk.js";
import type { DiskContents } from "./api.js";

const SECTOR = 512;
/** The ext superblock starts at byte 1024 (sector 2); its magic 0xEF53 is at byte 56 of it, little-endian. */
const EXT_MAGIC_OFFSET = 56;
/** An MBR ends with 0x55 0xAA at bytes 510-511 of sector 0. */
const MBR_SIGNATURE_OFFSET = 510;

export function diskContents(disk: DiskBackend): DiskContents {
  if (disk.sectorCount < 3) return "none";
  const sector = new Uint8Array(SECTOR);
  disk.read(2, sector);
  if (sector[EXT_MAGIC_OFFSET] === 0x53 && sector[EXT_MAGIC_OFFSET + 1] === 0xef) return "ext";
  disk.read(0, sector);
  if (sector[MBR_SIGNATURE_OFFSET] === 0x55 && sector[MBR_SIGNATURE_OFFSET + 1] === 0xaa) return "partitioned";
  return "none";
}
