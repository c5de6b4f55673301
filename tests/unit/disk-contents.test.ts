// The Disk panel's reading of what a disk holds: an ext superblock, a partition table with
// a boot signature, or neither, from the same bytes the guest's rc.boot and SeaBIOS look at.
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { diskContents } from "../../src/worker/disk-contents.js";

function diskWith(bytes: Array<[offset: number, value: number]>, size = 64 * 1024): MemoryDisk {
  const disk = new MemoryDisk(size / 512);
  const image = new Uint8Array(size);
  for (const [offset, value] of bytes) image[offset] = value;
  disk.write(0, image);
  return disk;
}

describe("diskContents", () => {
  it("finds the ext2/3/4 magic at byte 1080", () => {
    expect(diskContents(diskWith([[1080, 0x53], [1081, 0xef]]))).toBe("ext");
  });
  it("finds an MBR boot signature when there is no ext superblock", () => {
    expect(diskContents(diskWith([[510, 0x55], [511, 0xaa]]))).toBe("partitioned");
  });
  it("prefers the filesystem when both are there (an ext filesystem over the whole disk may keep an old MBR's bytes)", () => {
    expect(diskContents(diskWith([[510, 0x55], [511, 0xaa], [1080, 0x53], [1081, 0xef]]))).toBe("ext");
  });
  it("calls a blank disk, a byte-swapped magic and a tiny disk none", () => {
    expect(diskContents(diskWith([]))).toBe("none");
    expect(diskContents(diskWith([[1080, 0xef], [1081, 0x53]]))).toBe("none");
    expect(diskContents(diskWith([], 1024))).toBe("none");
  });
});
