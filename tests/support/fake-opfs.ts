// The Origin Private File System in memory, for running OpfsDisk in Node: navigator.storage
// with a root folder whose files open as synchronous access handles over a byte array.
// Only what opfs-sync-handle.ts calls is there. Install it with vitest's stubGlobal and
// undo it with unstubAllGlobals.
import type { OpfsDirHandle, OpfsFileHandle, OpfsFileSnapshot } from "../../src/backends/9p/opfs-handles.js";
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

// A folder tree for OpfsFs (src/backends/9p/opfs-handles.ts): folders of files whose sync
// handles lock them as Chromium does (a second handle, getFile, removeEntry or move of a held
// file is NoModificationAllowedError), so a test fails if OpfsFs forgets to close one.
// `move` is offered for files and folders unless the options turn it off (as in browsers
// without FileSystemHandle.move).
export interface FakeTreeOptions {
  moveFiles?: boolean;
  moveDirs?: boolean;
}

const domError = (name: string, message: string): Error => new DOMException(message, name);

export class FakeTreeFile implements OpfsFileHandle {
  readonly kind = "file" as const;
  held = false;
  lastModified = 1_700_000_000_000;
  readonly data = new FakeFile();
  constructor(public name: string, public parent: FakeTreeDir | undefined, options: FakeTreeOptions) {
    if (options.moveFiles === false) this.move = undefined;
  }

  /** Bumped by every change of the bytes: a snapshot taken before refuses to be read, as a File does. */
  version = 0;

  async getFile(): Promise<OpfsFileSnapshot> {
    this.live();
    if (this.held) throw domError("NoModificationAllowedError", `${this.name} is held by a sync handle`);
    const [bytes, version] = [this.data.bytes, this.version];
    return {
      size: bytes.length,
      lastModified: this.lastModified,
      slice: (start, end) => ({
        arrayBuffer: async () => {
          if (this.version !== version) throw domError("NotReadableError", `${this.name} changed since the snapshot`);
          return bytes.slice(start, end).buffer;
        },
      }),
    };
  }

  async createSyncAccessHandle(): Promise<SyncAccessHandle> {
    this.live();
    if (this.held) throw domError("NoModificationAllowedError", `${this.name} already has a sync handle`);
    this.held = true;
    const handle = new FakeSyncHandle(this.data);
    const close = handle.close.bind(handle);
    const write = handle.write.bind(handle);
    const truncate = handle.truncate.bind(handle);
    handle.truncate = (size) => {
      this.version++;
      truncate(size);
    };
    handle.close = () => {
      if (!handle.closed) this.held = false;
      close();
    };
    handle.write = (data, at) => {
      this.version++;
      this.lastModified += 1000;
      return write(data, at);
    };
    return handle;
  }

  move?: (dir: OpfsDirHandle, name: string) => Promise<void> = async (dir, name) => {
    if (this.held) throw domError("NoModificationAllowedError", `${this.name} is held by a sync handle`);
    moveEntry(this, dir as FakeTreeDir, name);
  };

  private live(): void {
    if (!this.parent || this.parent.children.get(this.name) !== this) throw domError("NotFoundError", `${this.name} was removed`);
  }
}

export class FakeTreeDir implements OpfsDirHandle {
  readonly kind = "directory" as const;
  readonly children = new Map<string, FakeTreeDir | FakeTreeFile>();
  constructor(public name: string, public parent: FakeTreeDir | undefined, private readonly options: FakeTreeOptions = {}) {
    if (options.moveDirs === false) this.move = undefined;
  }

  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<FakeTreeDir> {
    const e = this.children.get(name) ?? (options?.create ? this.put(new FakeTreeDir(name, this, this.options)) : undefined);
    if (!e) throw domError("NotFoundError", `no folder ${name}`);
    if (e.kind !== "directory") throw domError("TypeMismatchError", `${name} is a file`);
    return e;
  }

  async getFileHandle(name: string, options?: { create?: boolean }): Promise<FakeTreeFile> {
    const e = this.children.get(name) ?? (options?.create ? this.put(new FakeTreeFile(name, this, this.options)) : undefined);
    if (!e) throw domError("NotFoundError", `no file ${name}`);
    if (e.kind !== "file") throw domError("TypeMismatchError", `${name} is a folder`);
    return e;
  }

  async removeEntry(name: string, options?: { recursive?: boolean }): Promise<void> {
    const e = this.children.get(name);
    if (!e) throw domError("NotFoundError", `no entry ${name}`);
    if (e.kind === "file" && e.held) throw domError("NoModificationAllowedError", `${name} is held by a sync handle`);
    if (e.kind === "directory" && e.children.size > 0 && !options?.recursive) throw domError("InvalidModificationError", `${name} is not empty`);
    this.children.delete(name);
  }

  async *entries(): AsyncIterableIterator<[string, FakeTreeDir | FakeTreeFile]> {
    for (const entry of [...this.children]) yield entry;
  }

  move?: (dir: OpfsDirHandle, name: string) => Promise<void> = async (dir, name) => {
    moveEntry(this, dir as FakeTreeDir, name);
  };

  /** The file at `path` (names split on '/'), or undefined: for tests' checks. */
  at(path: string): FakeTreeDir | FakeTreeFile | undefined {
    let e: FakeTreeDir | FakeTreeFile | undefined = this;
    for (const part of path.split("/")) e = e?.kind === "directory" ? e.children.get(part) : undefined;
    return e;
  }

  private put<E extends FakeTreeDir | FakeTreeFile>(e: E): E {
    this.children.set(e.name, e);
    return e;
  }
}

function moveEntry(e: FakeTreeDir | FakeTreeFile, to: FakeTreeDir, name: string): void {
  if (!e.parent || e.parent.children.get(e.name) !== e) throw domError("NotFoundError", `${e.name} was removed`);
  const there = to.children.get(name);
  if (there && (there.kind !== e.kind || (there.kind === "directory" && there.children.size > 0))) throw domError("InvalidModificationError", `${name} exists`);
  e.parent.children.delete(e.name);
  to.children.set(name, e);
  e.parent = to;
  e.name = name;
}

/** A fresh OPFS root folder for OpfsFs. */
export function fakeOpfsRoot(options: FakeTreeOptions = {}): FakeTreeDir {
  return new FakeTreeDir("", undefined, options);
}
