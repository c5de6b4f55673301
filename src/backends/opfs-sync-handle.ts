// The part of the browser's Origin Private File System that the OPFS disk needs.
//
// FileSystemSyncAccessHandle exists only in dedicated workers, and TypeScript declares it
// only in its "webworker" lib, which cannot be mixed with the "DOM" lib this project
// compiles against; so the few members used are declared here, and the one cast from a
// FileSystemFileHandle lives in openSyncHandle below.
import { DiskError } from "./disk.js";
import { DISK_IN_USE_ERROR } from "../util/disk-in-use.js";

/** The file is held by another handle: another tab of this site has the disk open. */
export class DiskInUseError extends DiskError {
  override name = DISK_IN_USE_ERROR;
}

export interface SyncAccessHandle {
  read(into: Uint8Array, options: { at: number }): number;
  write(data: Uint8Array, options: { at: number }): number;
  flush(): void;
  truncate(size: number): void;
  getSize(): number;
  close(): void;
}

/** How long a file held by another handle is waited for. */
const BUSY_RETRY_MS = 3000;

interface FileHandleWithSyncAccess {
  createSyncAccessHandle?: () => Promise<SyncAccessHandle>;
}

/** The OPFS root folder, or a DiskError saying why this browser has none. */
export async function opfsRoot(): Promise<FileSystemDirectoryHandle> {
  if (typeof navigator === "undefined" || !navigator.storage?.getDirectory) {
    throw new DiskError("this browser has no Origin Private File System (navigator.storage.getDirectory), so the disk cannot persist");
  }
  try {
    return await navigator.storage.getDirectory();
  } catch (err) {
    throw new DiskError(`the browser refused its Origin Private File System (private window or storage turned off?): ${String(err)}`);
  }
}

/** Opens (creating when missing) `name` in the OPFS root for synchronous access. */
export async function openSyncHandle(name: string): Promise<SyncAccessHandle> {
  const root = await opfsRoot();
  const file = (await root.getFileHandle(name, { create: true })) as FileHandleWithSyncAccess;
  if (typeof file.createSyncAccessHandle !== "function") {
    throw new DiskError("this browser cannot open OPFS files synchronously (FileSystemSyncAccessHandle exists only in dedicated workers)");
  }
  // Only one sync handle per file may be open. Right after a reload the old page's
  // worker may still hold it for a moment, so a busy file is tried again for a while
  // before it is reported as held by another tab.
  const deadline = performance.now() + BUSY_RETRY_MS;
  for (;;) {
    try {
      return await file.createSyncAccessHandle();
    } catch (err) {
      const busy = err instanceof DOMException && err.name === "NoModificationAllowedError";
      if (busy && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (busy) throw new DiskInUseError(`the disk ${name} is in use by another ringside tab of this site; close it and reload`);
      throw new DiskError(`cannot open the disk ${name} in the browser's storage: ${String(err)}`);
    }
  }
}
