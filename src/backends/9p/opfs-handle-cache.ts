// Open sync access handles, least recently used closed first. A file can have only one sync
// handle at a time (in the whole browser), and each holds host resources, so OpfsFs keeps at
// most `max` of them across all the guest's files instead of one per 9P open.
import type { SyncAccessHandle } from "./opfs-handles.js";

export const MAX_SYNC_HANDLES = 64;

export class SyncHandleCache<K> {
  /** Map order is use order: the first key is the least recently used. */
  private readonly open = new Map<K, SyncAccessHandle>();

  constructor(private readonly max = MAX_SYNC_HANDLES) {}

  get size(): number {
    return this.open.size;
  }

  /** The handle of `key` if one is open (marked as used), without opening one. */
  peek(key: K): SyncAccessHandle | undefined {
    const h = this.open.get(key);
    if (h) {
      this.open.delete(key);
      this.open.set(key, h);
    }
    return h;
  }

  /** The handle of `key`, opened with `create` when none is (closing the oldest past `max`). */
  async get(key: K, create: () => Promise<SyncAccessHandle>): Promise<SyncAccessHandle> {
    const held = this.peek(key);
    if (held) return held;
    while (this.open.size >= this.max) {
      const oldest = this.open.keys().next().value as K;
      this.close(oldest);
    }
    const h = await create();
    this.open.set(key, h);
    return h;
  }

  /** Closes the handle of `key` (flushing it), if open: before a remove or a move of its file. */
  close(key: K): void {
    const h = this.open.get(key);
    if (!h) return;
    this.open.delete(key);
    try {
      h.flush();
    } finally {
      h.close();
    }
  }

  /** Flushes every open handle (keeping them open). */
  flushAll(): void {
    for (const h of this.open.values()) h.flush();
  }

  closeAll(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }
}
