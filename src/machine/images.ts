// The guest images every machine boots: the files images/build.sh produces.

export interface ImageSet {
  bios: ArrayBuffer;
  vgaBios: ArrayBuffer;
  bzImage: ArrayBuffer;
  initrd: ArrayBuffer;
}

/** File names under images/ (and under images/ on the static site). */
export const IMAGE_FILES: Record<keyof ImageSet, string> = {
  bios: "bios.bin",
  vgaBios: "vgabios-stdvga.bin",
  bzImage: "bzImage",
  initrd: "initrd.img",
};

export class ImageError extends Error {
  override name = "ImageError";
}

/** Cheap sanity checks so a wrong or truncated file is named instead of hanging the boot. */
export function checkImages(images: ImageSet): ImageSet {
  const need = (ok: boolean, file: string, why: string): void => {
    if (!ok) throw new ImageError(`${file}: ${why}`);
  };
  const bz = new Uint8Array(images.bzImage);
  // The x86 boot protocol's "HdrS" magic sits at offset 0x202.
  need(bz.length > 0x206 && bz[0x202] === 0x48 && bz[0x203] === 0x64 && bz[0x204] === 0x72 && bz[0x205] === 0x53,
    IMAGE_FILES.bzImage, "not a Linux bzImage (no HdrS header at 0x202)");
  const bios = images.bios.byteLength;
  need(bios === 128 * 1024 || bios === 256 * 1024, IMAGE_FILES.bios,
    `a SeaBIOS image is 128 or 256 KiB, this one is ${bios} bytes`);
  need(images.vgaBios.byteLength > 0, IMAGE_FILES.vgaBios, "empty file");
  // An uncompressed "newc" cpio archive starts with the ASCII magic 070701.
  const magic = new TextDecoder().decode(new Uint8Array(images.initrd, 0, Math.min(6, images.initrd.byteLength)));
  need(magic === "070701", IMAGE_FILES.initrd, "not an uncompressed newc cpio archive (magic 070701)");
  return images;
}
