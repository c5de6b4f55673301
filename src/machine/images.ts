// The guest images every machine boots: the files images/build.sh produces.

export interface ImageSet {
  /** SeaBIOS. No VGA BIOS: the guest's console is serial, and SeaBIOS boots ~0.1 s sooner without one. */
  bios: ArrayBuffer;
  bzImage: ArrayBuffer;
  initrd: ArrayBuffer;
}

/** File names under images/ (and under images/ on the static site). */
export const IMAGE_FILES: Record<keyof ImageSet, string> = {
  bios: "bios.bin",
  bzImage: "bzImage",
  initrd: "initrd.img",
};

export class ImageError extends Error {
  override name = "ImageError";
}

/** Reads every image with `read` (from disk in Node, over HTTP in the browser). */
export async function loadImageSet(read: (file: string) => Promise<ArrayBuffer>): Promise<ImageSet> {
  const keys = Object.keys(IMAGE_FILES) as Array<keyof ImageSet>;
  const results = await Promise.allSettled(keys.map((key) => read(IMAGE_FILES[key])));
  // Report the first failure in file order, so the same problem always reads the same.
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  const buffers = results.map((r) => (r as PromiseFulfilledResult<ArrayBuffer>).value);
  return Object.fromEntries(keys.map((key, i) => [key, buffers[i]])) as unknown as ImageSet;
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
  // An uncompressed "newc" cpio archive starts with the ASCII magic 070701.
  const magic = new TextDecoder().decode(new Uint8Array(images.initrd, 0, Math.min(6, images.initrd.byteLength)));
  need(magic === "070701", IMAGE_FILES.initrd, "not an uncompressed newc cpio archive (magic 070701)");
  return images;
}
