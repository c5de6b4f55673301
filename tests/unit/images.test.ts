import { describe, expect, it } from "vitest";
import { ImageError } from "../../src/machine/images.js";
import { bundledBootImages, checkBootImages } from "../../src/machine/boot-images.js";
import { loadImages } from "../../src/node/node-images.js";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("guest images", () => {
  it("accepts the committed images, and says what the kernel is", async () => {
    const facts = checkBootImages(bundledBootImages(await loadImages(), []), 256, "console=ttyS0");
    expect(facts.kernel?.version).toMatch(/^6\.1\.\d+/);
    expect(facts.initrd).toMatchObject({ format: "cpio", name: "initrd.img" });
  });

  it("names the file that is wrong", async () => {
    const images = bundledBootImages(await loadImages(), []);
    expect(() => checkBootImages({ ...images, kernel: { name: "k", bytes: new ArrayBuffer(4096) } }, 256, "")).toThrow(/^k: not a Linux x86 kernel/);
    expect(() => checkBootImages({ ...images, bios: new ArrayBuffer(1000) }, 256, "")).toThrow(/bios.bin: a SeaBIOS image is 128 or 256 KiB/);
    expect(() => checkBootImages({ ...images, initrd: { name: "i", bytes: new ArrayBuffer(0) } }, 256, "")).toThrow(ImageError);
    expect(() => checkBootImages({ bios: images.bios, initrd: images.initrd! }, 256, "")).toThrow(/initrd.img: an initrd needs a kernel/);
    expect(() => checkBootImages(images, 256, "x".repeat(5000))).toThrow(/bzImage: this kernel takes at most 2047 bytes of command line, and it is 5000/);
  });

  it("says which image is missing from a folder and how to rebuild it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ringside-images-"));
    await writeFile(join(dir, "bios.bin"), new Uint8Array(128 * 1024));
    await expect(loadImages(dir)).rejects.toThrow(/bzImage \(ENOENT\).*images\/build.sh/);
  });
});
