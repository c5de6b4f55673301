// The part of the browser's Origin Private File System that OpfsFs uses, as plain interfaces:
// the real FileSystemDirectoryHandle and FileSystemFileHandle satisfy them (the worker casts
// once, in worker-backends.ts), and tests/support/fake-opfs.ts implements them in memory so the
// filesystem runs under Node's unit tests. Only what is called is declared.
import type { SyncAccessHandle } from "../opfs-sync-handle.js";
import { EBUSY, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, EPERM, FsError } from "./ninep-errno.js";

export type { SyncAccessHandle };

export interface OpfsFileHandle {
  readonly kind: "file";
  readonly name: string;
  /**
   * A snapshot of the file (a File) for its size, lastModified and bytes while no sync handle
   * holds it (a held file refuses it); reading it after the file changed fails.
   */
  getFile(): Promise<OpfsFileSnapshot>;
  /** Dedicated workers only: one per file at a time (a second is NoModificationAllowedError). */
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
  /** Chromium and Firefox move files within the OPFS; absent elsewhere (then OpfsFs copies). */
  move?(dir: OpfsDirHandle, name: string): Promise<void>;
}

export interface OpfsFileSnapshot {
  readonly size: number;
  readonly lastModified: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export interface OpfsDirHandle {
  readonly kind: "directory";
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirHandle>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  entries(): AsyncIterableIterator<[string, OpfsDirHandle | OpfsFileHandle]>;
  /** Moving a directory: Chromium only (OpfsFs answers EXDEV without it; see opfs-fs.ts). */
  move?(dir: OpfsDirHandle, name: string): Promise<void>;
}

export type OpfsHandle = OpfsDirHandle | OpfsFileHandle;

/** How long a file held by another worker is waited for, and how often it is tried meanwhile. */
export const LOCK_WAIT_MS = 5000;
const LOCK_RETRY_MS = 100;

/**
 * The file's sync handle. Another worker may hold it for a moment: after a reload the page's
 * previous worker, still shutting down, keeps its handles until it is gone. So a file that
 * is held is tried again every LOCK_RETRY_MS for up to LOCK_WAIT_MS before EBUSY (another
 * tab that keeps the folder open then gets EBUSY, as before).
 */
export async function openSyncHandle(file: OpfsFileHandle, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<SyncAccessHandle> {
  for (let waited = 0; ; waited += LOCK_RETRY_MS) {
    try {
      return await file.createSyncAccessHandle();
    } catch (err) {
      const held = err instanceof Error && err.name === "NoModificationAllowedError";
      if (!held || waited >= LOCK_WAIT_MS) throw err;
      await sleep(LOCK_RETRY_MS);
    }
  }
}

/** Linux errnos that ninep-errno.ts does not list yet (asm-generic/errno-base.h). */
export const EACCES = 13;
export const EXDEV = 18;

/**
 * The errno for a DOMException the storage threw (matched by name, as the fake throws plain
 * Errors with the same names); anything else is rethrown, so the server answers EIO and logs it.
 */
export function opfsErrno(err: unknown): FsError {
  if (err instanceof FsError) return err;
  const name = err instanceof Error ? err.name : "";
  const errno = DOM_ERRNO[name];
  if (errno === undefined) throw err;
  return new FsError(errno, `${name}: ${err instanceof Error ? err.message : String(err)}`);
}

const DOM_ERRNO: Record<string, number> = {
  NotFoundError: ENOENT,
  // A file where a folder was asked for, or the other way round: the caller knows which.
  TypeMismatchError: ENOTDIR,
  // removeEntry of a folder that is not empty, without {recursive}.
  InvalidModificationError: ENOTEMPTY,
  QuotaExceededError: ENOSPC,
  // Another tab's worker holds the file's sync handle.
  NoModificationAllowedError: EBUSY,
  NotAllowedError: EPERM,
  InvalidStateError: EBUSY,
};

