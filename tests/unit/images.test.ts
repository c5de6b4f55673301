import { describe, expect, it } from "vitest";
import { checkImages, ImageError } from "../../src/machine/images.js";
import { loadImages } from "../../src/node/node-images.js";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("guest images", () => {
  it("accepts the committed images", async () => {
    const images = await loadImages();
    expect(checkImages(images)).toBe(images);
  });

  it("names the file that is wrong", async () => {
    const images = await loadImages();
    expect(() => checkImages({ ...images, bzImage: new ArrayBuffer(4096) })).toThrow(/bzImage: not a Linux bzImage/);
    expect(() => checkImages({ ...images, bios: new ArrayBuffer(1000) })).toThrow(/bios.bin: a SeaBIOS image is 128 or 256 KiB/);
    expect(() => checkImages({ ...images, initrd: new Uint8Array([0x1f, 0x8b, 8]).buffer })).toThrow(/initrd.img: not an uncompressed newc cpio/);
    expect(() => checkImages({ ...images, initrd: new ArrayBuffer(0) })).toThrow(ImageError);
  });

  it("says which image is missing from a folder and how to rebuild it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ringside-images-"));
    await writeFile(join(dir, "bios.bin"), new Uint8Array(128 * 1024));
    await expect(loadImages(dir)).rejects.toThrow(/bzImage \(ENOENT\).*images\/build.sh/);
  });
});
