// Moving in the OPFS where the browser has no move(): Chromium moves files but not folders
// (FileSystemDirectoryHandle has no move), so a folder is renamed by copying its tree and
// removing the old one. That is bounded (MAX_COPY_ENTRIES, MAX_COPY_BYTES, checked before
// anything is written): a bigger folder is refused with EXDEV, on which the guest's `mv` copies
// it itself. Not atomic: a tab closed halfway leaves both trees, never neither.
import type { OpfsDirHandle, OpfsFileHandle, SyncAccessHandle } from "./opfs-handles.js";

export const MAX_COPY_ENTRIES = 1000;
export const MAX_COPY_BYTES = 64 * 1024 * 1024;
/** Bytes copied per step. */
const COPY_CHUNK = 1 << 20;

/** Whether the tree under `dir` is within the copy bounds (its files must not be held). */
export async function copyable(dir: OpfsDirHandle): Promise<boolean> {
  let entries = 0;
  let bytes = 0;
  const visit = async (d: OpfsDirHandle): Promise<boolean> => {
    for await (const [, h] of d.entries()) {
      if (++entries > MAX_COPY_ENTRIES) return false;
      if (h.kind === "directory") {
        if (!(await visit(h))) return false;
      } else if ((bytes += (await h.getFile()).size) > MAX_COPY_BYTES) {
        return false;
      }
    }
    return true;
  };
  return visit(dir);
}

/** Copies the tree of `src` to a new folder `name` in `to`, then removes `src` (`name` in `from`). */
export async function copyTreeThenRemove(src: OpfsDirHandle, from: OpfsDirHandle, oldName: string, to: OpfsDirHandle, name: string): Promise<void> {
  const copy = async (s: OpfsDirHandle, d: OpfsDirHandle): Promise<void> => {
    for await (const [n, h] of s.entries()) {
      if (h.kind === "directory") await copy(h, await d.getDirectoryHandle(n, { create: true }));
      else await copyFile(h, await d.getFileHandle(n, { create: true }));
    }
  };
  await copy(src, await to.getDirectoryHandle(name, { create: true }));
  await from.removeEntry(oldName, { recursive: true });
}

/** A file's move where FileSystemHandle.move is missing: copy in chunks, then remove the old. */
export async function copyFileThenRemove(src: OpfsFileHandle, from: OpfsDirHandle, oldName: string, to: OpfsDirHandle, newName: string): Promise<void> {
  await copyFile(src, await to.getFileHandle(newName, { create: true }));
  await from.removeEntry(oldName);
}

async function copyFile(src: OpfsFileHandle, dst: OpfsFileHandle): Promise<void> {
  const from = await src.createSyncAccessHandle();
  let into: SyncAccessHandle | undefined;
  try {
    into = await dst.createSyncAccessHandle();
    const buf = new Uint8Array(COPY_CHUNK);
    const size = from.getSize();
    into.truncate(size);
    for (let at = 0; at < size; at += COPY_CHUNK) into.write(buf.subarray(0, from.read(buf, { at })), { at });
    into.flush();
  } finally {
    into?.close();
    from.close();
  }
}
