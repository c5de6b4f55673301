// Whole-image operations on an OPFS disk file, for the page's disk panel: copy an image
// in from a file the user picked, copy the disk out as a downloadable Blob, delete it.
// Import and delete need the file closed (no machine using it): the caller stops the
// machine first (see src/worker/machine-service.ts for why).
import { DiskError, SECTOR_SIZE } from "./disk.js";
import type { OpfsDisk } from "./opfs-disk.js";
import { opfsRoot, openSyncHandle } from "./opfs-sync-handle.js";

/** Bytes per step of import and export (and per progress report). */
export const IMAGE_CHUNK_BYTES = 4 * 1024 * 1024;

export type ImageProgress = (doneBytes: number, totalBytes: number) => void;

/** Throws a DiskError unless `size` bytes can be a disk image. */
export function checkImageSize(size: number): void {
  if (size === 0) throw new DiskError("the image is empty");
  if (size % SECTOR_SIZE !== 0) {
    throw new DiskError(`the image is ${size} bytes, not a multiple of ${SECTOR_SIZE}: a disk is whole 512-byte sectors`);
  }
}

/** Replaces the (closed) OPFS file `name` with `image`; the disk takes the image's size. */
export async function importImage(name: string, image: Blob, onProgress: ImageProgress): Promise<void> {
  checkImageSize(image.size);
  const handle = await openSyncHandle(name);
  try {
    handle.truncate(0);
    for (let at = 0; at < image.size; at += IMAGE_CHUNK_BYTES) {
      const chunk = new Uint8Array(await image.slice(at, at + IMAGE_CHUNK_BYTES).arrayBuffer());
      let done = 0;
      while (done < chunk.length) {
        const n = handle.write(chunk.subarray(done), { at: at + done });
        if (n <= 0) throw new DiskError(`the browser took no more bytes at byte ${at + done} (storage full?)`);
        done += n;
      }
      onProgress(Math.min(at + IMAGE_CHUNK_BYTES, image.size), image.size);
    }
    handle.flush();
  } finally {
    handle.close();
  }
}

/**
 * The disk's contents as a Blob. The copy runs in one synchronous stretch, so no guest
 * request lands in the middle: the image is what a power cut at that instant would have
 * left on the disk (what the guest has not written back yet, `sync` first, is not in it).
 * Each chunk is folded into the Blob as it is read, so the browser, not this worker's
 * heap, holds the image.
 */
export function exportImage(disk: OpfsDisk, onProgress: ImageProgress): Blob {
  const total = disk.capacityBytes;
  let blob = new Blob([], { type: "application/octet-stream" });
  for (let at = 0; at < total; at += IMAGE_CHUNK_BYTES) {
    const chunk = new Uint8Array(Math.min(IMAGE_CHUNK_BYTES, total - at));
    disk.readAt(at, chunk);
    blob = new Blob([blob, chunk], { type: "application/octet-stream" });
    onProgress(at + chunk.length, total);
  }
  return blob;
}

/** Deletes the (closed) OPFS file `name`; the next boot creates a fresh, empty disk. */
export async function deleteImage(name: string): Promise<void> {
  const root = await opfsRoot();
  try {
    await root.removeEntry(name);
  } catch (err) {
    if (err instanceof DOMException && err.name === "NotFoundError") return;
    throw new DiskError(`cannot delete the disk ${name}: ${String(err)}`);
  }
}
