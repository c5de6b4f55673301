// The instant shell's snapshot, kept inflated in this browser's storage (OPFS) after its
// first download, so that a reader who comes back restores from it instead of reading
// 6 MB out of the HTTP cache and inflating 16 MB again. On this 2-core machine that read
// and the inflating (of 4.9 and 14 MB then) took 100-140 ms while the machine's code loaded
// and v86 was built, and they slowed both (docs/benchmarks.md, "eighth round").
//
// One entry, named by the sha256 of the file it was inflated from, as the download worker
// computed it: the shipped snapshot's record (shell.state.json) names the state it vouches
// for by that sha256, so a site that ships a new snapshot simply misses, downloads, and the
// old entry goes. An entry is written whole or not at all (a writable's bytes replace the
// file only when it closes). Its structure is checked when read (the header, and every byte
// array where the header puts it), and an entry that fails is removed and downloaded again.
// The folder is beside the page's other files in OPFS, outside the shared folder that the
// guest reaches through virtio-9p.
import { parseStateFile } from "../snapshot/state-file.js";
import { opfsRoot, type SyncAccessHandle } from "../backends/opfs-sync-handle.js";
import { errorMessage } from "../util/error-message.js";

export const STATE_CACHE_FOLDER = "ringside-state-cache";

/** The most an entry may hold: the shipped snapshot is 16 MB inflated; anything far larger is not one of ours. */
export const MAX_KEPT_STATE_BYTES = 256 * 1024 * 1024;

/** An OPFS sync access handle opened read-only (Chromium 121 and later; several may be open at once). */
export type ReadOnlyHandle = Pick<SyncAccessHandle, "getSize" | "read" | "close">;

/** What of an OPFS file the cache uses. */
export interface KeptFile {
  getFile(): Promise<Blob>;
  createWritable(): Promise<{ write(data: Uint8Array<ArrayBuffer>): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  /**
   * Where the browser has it (workers only): reads straight into the worker's buffer. A File
   * comes through the browser's process instead, which took 43 ms against 26 for the 14 MB it then was on
   * this 2-core machine, while the machine's own code loaded.
   */
  createSyncAccessHandle?(options: { mode: "read-only" }): Promise<ReadOnlyHandle>;
}

/** What of an OPFS folder the cache uses (tests give it one in memory). */
export interface KeptFolder {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<KeptFile>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterable<string>;
}

/** The entry's name for the state file whose sha256 is `sha256`. */
export function keptStateName(sha256: string): string {
  return `shell-${sha256}.state`;
}

/** The cache's folder, or undefined where this browser has no storage for the page (none is an error: the download goes on). */
export async function openStateCache(): Promise<KeptFolder | undefined> {
  try {
    const root = await opfsRoot();
    return (await root.getDirectoryHandle(STATE_CACHE_FOLDER, { create: true })) as unknown as KeptFolder;
  } catch {
    return undefined;
  }
}

/**
 * The inflated state kept for the file whose sha256 is `sha256`, or undefined when there is
 * none; one that cannot be read or is damaged is removed, and `log` says why.
 */
export async function readKeptState(folder: KeptFolder, sha256: string, log: (message: string) => void): Promise<Uint8Array | undefined> {
  const name = keptStateName(sha256);
  let handle: KeptFile;
  try {
    handle = await folder.getFileHandle(name);
  } catch {
    return undefined; // not kept yet
  }
  try {
    const bytes = await readWhole(handle);
    parseStateFile(bytes);
    return bytes;
  } catch (err) {
    log(`the snapshot kept in this browser's storage (${name}) is unusable and is downloaded again: ${errorMessage(err)}`);
    await folder.removeEntry(name).catch(() => undefined);
    return undefined;
  }
}

function checkSize(bytes: number): void {
  if (bytes > MAX_KEPT_STATE_BYTES) throw new Error(`it is ${bytes} bytes, more than the ${MAX_KEPT_STATE_BYTES} an entry may hold`);
}

/** An entry's bytes: through a read-only sync access handle where there is one, else as a File (a tab writing the entry refuses the handle). */
async function readWhole(handle: KeptFile): Promise<Uint8Array> {
  let sync: ReadOnlyHandle | undefined;
  try {
    sync = await handle.createSyncAccessHandle?.({ mode: "read-only" });
  } catch {
    sync = undefined;
  }
  if (!sync) {
    const file = await handle.getFile();
    checkSize(file.size);
    return new Uint8Array(await file.arrayBuffer());
  }
  try {
    const size = sync.getSize();
    checkSize(size);
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; ) {
      const read = sync.read(bytes.subarray(at), { at });
      if (read <= 0) throw new Error(`it ended at byte ${at} of the ${size} it said it had`);
      at += read;
    }
    return bytes;
  } finally {
    sync.close();
  }
}

/** Keeps `inflated` as the state of the file whose sha256 is `sha256`, and removes every other entry. */
export async function keepState(folder: KeptFolder, sha256: string, inflated: Uint8Array<ArrayBuffer>): Promise<void> {
  const name = keptStateName(sha256);
  if (inflated.length > MAX_KEPT_STATE_BYTES) return;
  const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
  try {
    await writable.write(inflated);
    await writable.close();
  } catch (err) {
    await writable.abort().catch(() => undefined);
    await folder.removeEntry(name).catch(() => undefined);
    throw err;
  }
  const others: string[] = [];
  for await (const entry of folder.keys()) if (entry !== name) others.push(entry);
  for (const entry of others) await folder.removeEntry(entry).catch(() => undefined);
}
