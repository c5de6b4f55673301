// The Origin Private File System in memory, for running OpfsDisk in Node: navigator.storage
// with a root folder whose files open as synchronous access handles over a byte array.
// Only what opfs-sync-handle.ts calls is there. Install it with vitest's stubGlobal and
// undo it with unstubAllGlobals.
import type { SyncAccessHandle } from "../../src/backends/opfs-sync-handle.js";

/** One file's bytes, kept by name across handles (a reopened file keeps its contents). */
class FakeFile {
  bytes = new Uint8Array(0);
}

class FakeSyncHandle implements SyncAccessHandle {
  closed = false;
  constructor(private readonly file: FakeFile) {}

  read(into: Uint8Array, { at }: { at: number }): number {
    this.open();
    const n = Math.max(0, Math.min(into.length, this.file.bytes.length - at));
    into.set(this.file.bytes.subarray(at, at + n));
    return n;
  }

  write(data: Uint8Array, { at }: { at: number }): number {
    this.open();
    if (at + data.length > this.file.bytes.length) this.truncate(at + data.length);
    this.file.bytes.set(data, at);
    return data.length;
  }

  flush(): void {
    this.open();
  }

  truncate(size: number): void {
    this.open();
    const bytes = new Uint8Array(size);
    bytes.set(this.file.bytes.subarray(0, size));
    this.file.bytes = bytes;
  }

  getSize(): number {
    this.open();
    return this.file.bytes.length;
  }

  close(): void {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new Error("the fake OPFS handle is closed");
  }
}

/** What to hand to vi.stubGlobal("navigator", ...); `files` shows what was stored. */
export function fakeOpfsNavigator(): { navigator: { storage: { getDirectory(): Promise<unknown> } }; files: Map<string, FakeFile> } {
  const files = new Map<string, FakeFile>();
  const root = {
    async getFileHandle(name: string, options?: { create?: boolean }) {
      let file = files.get(name);
      if (!file) {
        if (!options?.create) throw new Error(`no file ${name}`);
        file = new FakeFile();
        files.set(name, file);
      }
      const held = file;
      return { createSyncAccessHandle: async (): Promise<SyncAccessHandle> => new FakeSyncHandle(held) };
    },
  };
  return { navigator: { storage: { getDirectory: async () => root } }, files };
}
