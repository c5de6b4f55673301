// The guest images shipped with ringside (images/build.sh makes them): what a machine boots
// unless its description names other files (boot-images.ts).

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
