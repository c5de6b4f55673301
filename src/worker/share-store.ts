// The page's shared folders in the browser's storage (OPFS): each is a folder of the OPFS
// root, opened as an OpfsFs. While a machine runs, its 9P server and the Files panel use the
// same OpfsFs (registered here by worker-backends.ts): a file has only one sync handle at a time,
// and one instance keeps one node table, so a file the page writes is what the guest's next
// lookup finds (the guest mounts with cache=none). Without a machine the panel opens the folder
// for the length of one call.
import { OpfsFs } from "../backends/9p/opfs-fs.js";
import type { OpfsDirHandle } from "../backends/9p/opfs-handles.js";
import { opfsRoot } from "../backends/opfs-sync-handle.js";

const live = new Map<string, OpfsFs>();

/** Opens (creating when missing) the shared folder `name` in the OPFS root. */
export async function openOpfsShare(name: string, log: (message: string) => void): Promise<OpfsFs> {
  const root = await opfsRoot();
  // TypeScript's DOM lib declares neither entries() nor createSyncAccessHandle (the latter is in
  // the "webworker" lib, which cannot be mixed with "DOM"); the browser's handles have both, so
  // this is the one place they are seen through opfs-handles.ts's interfaces.
  const folder = (await root.getDirectoryHandle(name, { create: true })) as unknown as OpfsDirHandle;
  const estimate = typeof navigator !== "undefined" && navigator.storage?.estimate ? () => navigator.storage.estimate() : undefined;
  return OpfsFs.open(folder, { log, ...(estimate ? { estimate } : {}) });
}

/** The running machine's share `name` is `fs` from now on (until forgotten). */
export function registerLiveShare(name: string, fs: OpfsFs): void {
  live.set(name, fs);
}

export function forgetLiveShare(name: string, fs: OpfsFs): void {
  if (live.get(name) === fs) live.delete(name);
}

/** Runs `use` on the share `name`: the machine's own OpfsFs, or one opened (and closed) for it. */
export async function withShare<T>(name: string, use: (fs: OpfsFs) => Promise<T>, log: (message: string) => void = () => undefined): Promise<T> {
  const running = live.get(name);
  if (running) return use(running);
  const fs = await openOpfsShare(name, log);
  try {
    return await use(fs);
  } finally {
    await fs.close();
  }
}
