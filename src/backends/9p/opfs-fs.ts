// A NinepFs over a folder of the browser's Origin Private File System: the page's shared
// folder. File contents live in OPFS files, read and written through sync access handles (the
// fast path; dedicated workers only), at most MAX_SYNC_HANDLES open (opfs-handle-cache.ts).
// What the OPFS cannot hold (modes, owners, times, symlinks) is in a sidecar (opfs-meta.ts).
//
// Choices where the OPFS falls short of POSIX:
//   - hard links and device nodes (link, mknod): EPERM, what link(2) and mknod(2) document for
//     "the filesystem does not support" them, so `ln` and `mkfifo` say so plainly;
//   - a folder is renamed with FileSystemHandle.move where the browser has it on folders
//     (Chromium 156 has it on files only), else by copying a small tree (opfs-copy.ts) and
//     EXDEV for a big one, on which the guest's `mv` copies the tree itself; a file is moved,
//     or copied and removed where move() is missing;
//   - a file removed while the guest holds it open is gone at once (the OPFS has no orphans):
//     its next read answers ENOENT;
//   - every call runs after the previous one finished (one queue): the OPFS is asynchronous,
//     and interleaved calls would race on the node table and the handle cache.
import { EFBIG, EINVAL, EISDIR, ELOOP, EPERM, FsError } from "./ninep-errno.js";
import type { FsAttr, FsDirEntry, FsOpenFlags, FsOwner, FsSetAttr, FsStat, Ino, NinepFs } from "./ninep-fs.js";
import { MODE_PERMISSIONS, NAME_MAX, S_IFDIR, S_IFLNK, S_IFREG } from "./ninep-spec.js";
import { MAX_SYNC_HANDLES, SyncHandleCache } from "./opfs-handle-cache.js";
import { openSyncHandle, opfsErrno, type OpfsDirHandle, type OpfsFileSnapshot, type SyncAccessHandle } from "./opfs-handles.js";
import { ShareMeta, time, type Time } from "./opfs-meta.js";
import { ROOT_INO, type OpfsNode, type OpfsNodes } from "./opfs-nodes.js";
import { OpfsTree } from "./opfs-tree.js";

export interface OpfsFsOptions {
  log?: (message: string) => void;
  /** navigator.storage.estimate, for statfs (absent: statfs reports no free space figure). */
  estimate?: () => Promise<{ quota?: number; usage?: number }>;
  now?: () => number;
  maxSyncHandles?: number;
  /** Delay before the sidecar is rewritten after a change (tests use 0 or flush()). */
  metaDelayMs?: number;
}

const BLOCK = 4096;
/** statfs f_fsid: "ropf". */
const FSID = 0x726f7066;
/** How long a file's snapshot (size, bytes) is used before it is taken again. */
const SNAPSHOT_MS = 2000;
/** Files up to this size are read from their snapshot rather than a sync handle (see read). */
const SNAPSHOT_READ_MAX = 256 * 1024;
/** Inodes statfs reports: the OPFS has no limit, `df -i` wants a number. */
const FILES = 1 << 24;

export class OpfsFs implements NinepFs {
  readonly root: Ino = ROOT_INO;
  private readonly handles: SyncHandleCache<Ino>;
  private readonly tree: OpfsTree;
  private readonly now: () => number;
  private readonly mountMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private scratch = new Uint8Array(0);

  private constructor(root: OpfsDirHandle, private readonly meta: ShareMeta, private readonly options: OpfsFsOptions) {
    this.now = options.now ?? Date.now;
    this.mountMs = this.now();
    this.handles = new SyncHandleCache<Ino>(options.maxSyncHandles ?? MAX_SYNC_HANDLES);
    this.tree = new OpfsTree(root, meta, this.handles, this.now);
  }

  /** The share in folder `root` (its sidecar read once, here). */
  static async open(root: OpfsDirHandle, options: OpfsFsOptions = {}): Promise<OpfsFs> {
    const meta = await ShareMeta.load(root, options.log ?? (() => undefined), options.metaDelayMs);
    return new OpfsFs(root, meta, options);
  }

  private get nodes(): OpfsNodes { return this.tree.nodes; }

  lookup(dir: Ino, name: string): Promise<FsAttr> {
    return this.serial(async () => this.attr(await this.tree.find(this.nodes.dir(dir), name)));
  }

  parent(dir: Ino): Promise<FsAttr> {
    return this.serial(() => this.attr(this.nodes.get(this.nodes.dir(dir).parent)));
  }

  getattr(ino: Ino): Promise<FsAttr> {
    return this.serial(() => this.attr(this.nodes.get(ino)));
  }

  setattr(ino: Ino, ch: FsSetAttr): Promise<FsAttr> {
    return this.serial(async () => {
      const node = this.nodes.get(ino);
      if (ch.size !== undefined) {
        const h = await this.sync(node);
        if (ch.size > Number.MAX_SAFE_INTEGER) throw new FsError(EFBIG);
        if (ch.size !== h.getSize()) this.wrote(node, () => h.truncate(ch.size!));
      }
      const at = (t: FsSetAttr["atime"]): Time | undefined => (t === undefined ? undefined : t === "now" ? time(this.now()) : [t.sec, t.nsec]);
      this.meta.update(this.nodes.path(node), {
        ...(ch.mode !== undefined ? { mode: ch.mode & MODE_PERMISSIONS } : {}),
        ...(ch.uid !== undefined ? { uid: ch.uid } : {}),
        ...(ch.gid !== undefined ? { gid: ch.gid } : {}),
        ...(ch.atime !== undefined ? { atime: at(ch.atime) } : {}),
        ...(ch.mtime !== undefined ? { mtime: at(ch.mtime) } : {}),
        ctime: time(this.now()),
      });
      return this.attr(node);
    });
  }

  /** ELOOP (symlink), EISDIR (folder opened to write); O_TRUNC empties the file. */
  open(ino: Ino, flags: FsOpenFlags): Promise<FsAttr> {
    return this.serial(async () => {
      const node = this.nodes.get(ino);
      if (node.kind === "symlink") throw new FsError(ELOOP);
      if (node.kind === "dir" && flags.write) throw new FsError(EISDIR);
      if (node.kind === "file" && flags.truncate) {
        const h = await this.sync(node);
        if (h.getSize() > 0) this.wrote(node, () => h.truncate(0));
      }
      return this.attr(node);
    });
  }

  /** Nothing to do: sync handles stay cached past a close, for the next open of the file. */
  release(_ino: Ino): Promise<void> {
    return Promise.resolve();
  }

  /**
   * A small file no sync handle holds is read from its snapshot: opening a sync handle costs
   * Chromium 156 about 5.5 ms, a snapshot about 1 ms. A big one opens the handle, whose reads
   * are synchronous (a snapshot's slices took twice as long for a 32 MiB file).
   */
  read(ino: Ino, offset: number, count: number): Promise<Uint8Array> {
    return this.serial(async () => {
      const node = this.nodes.get(ino);
      const file = node.kind === "file" && !this.handles.peek(ino) ? await this.snapshot(node) : undefined;
      if (file && file.size <= SNAPSHOT_READ_MAX) {
        if (offset >= file.size) return new Uint8Array(0);
        return new Uint8Array(await file.slice(offset, Math.min(file.size, offset + count)).arrayBuffer());
      }
      const h = await this.sync(node);
      const n = Math.max(0, Math.min(count, h.getSize() - offset));
      if (this.scratch.length < n) this.scratch = new Uint8Array(n);
      const view = this.scratch.subarray(0, n);
      return view.subarray(0, n === 0 ? 0 : h.read(view, { at: offset }));
    });
  }

  write(ino: Ino, offset: number, data: Uint8Array): Promise<number> {
    return this.serial(async () => {
      const node = this.nodes.get(ino);
      if (offset + data.length > Number.MAX_SAFE_INTEGER) throw new FsError(EFBIG);
      const h = await this.sync(node);
      this.wrote(node, () => h.write(data, { at: offset }));
      return data.length;
    });
  }

  create(dir: Ino, name: string, mode: number, owner: FsOwner): Promise<FsAttr> {
    return this.serial(async () => this.attr(await this.tree.make(this.nodes.dir(dir), name, "file", mode, owner)));
  }

  mkdir(dir: Ino, name: string, mode: number, owner: FsOwner): Promise<FsAttr> {
    return this.serial(async () => this.attr(await this.tree.make(this.nodes.dir(dir), name, "dir", mode, owner)));
  }

  symlink(dir: Ino, name: string, target: string, owner: FsOwner): Promise<FsAttr> {
    return this.serial(async () => this.attr(await this.tree.make(this.nodes.dir(dir), name, "symlink", 0o777, owner, target)));
  }

  /** EPERM: the OPFS has no FIFOs or sockets (see the top of this file). */
  mknod(): Promise<FsAttr> {
    return Promise.reject(new FsError(EPERM, "the browser's storage has no FIFOs or sockets"));
  }

  /** EPERM: the OPFS has no hard links (see the top of this file). */
  link(): Promise<void> {
    return Promise.reject(new FsError(EPERM, "the browser's storage has no hard links"));
  }

  rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string): Promise<void> {
    return this.serial(() => this.tree.rename(this.nodes.dir(oldDir), oldName, this.nodes.dir(newDir), newName));
  }

  unlink(dir: Ino, name: string, removeDir: boolean): Promise<void> {
    return this.serial(() => this.tree.unlink(this.nodes.dir(dir), name, removeDir));
  }

  readdir(dir: Ino, cookie: number, max: number): Promise<readonly FsDirEntry[]> {
    return this.serial(() => this.tree.readdir(this.nodes.dir(dir), cookie, max));
  }

  /** EINVAL for anything but a symlink. */
  readlink(ino: Ino): Promise<string> {
    return this.serial(async () => {
      const node = this.nodes.get(ino);
      const target = this.meta.get(this.nodes.path(node))?.target;
      if (node.kind !== "symlink" || target === undefined) throw new FsError(EINVAL);
      return target;
    });
  }

  statfs(): Promise<FsStat> {
    return this.serial(async () => {
      const e = this.options.estimate ? await this.options.estimate().catch(() => ({ quota: 0, usage: 0 })) : { quota: 0, usage: 0 };
      const blocks = Math.floor((e.quota ?? 0) / BLOCK);
      const free = Math.max(0, blocks - Math.ceil((e.usage ?? 0) / BLOCK));
      return { bsize: BLOCK, blocks, bfree: free, bavail: free, files: FILES, ffree: FILES - this.nodes.count, fsid: FSID, namelen: NAME_MAX };
    });
  }

  /** Flushes the file's sync handle, and the sidecar (so a chmod is durable too). */
  fsync(ino: Ino): Promise<void> {
    return this.serial(async () => {
      this.handles.peek(this.nodes.get(ino).ino)?.flush();
      await this.meta.flush();
    });
  }

  /** Writes the sidecar and flushes every open file: before a saved state or a close. */
  flush(): Promise<void> {
    return this.serial(async () => {
      await this.meta.flush();
      this.handles.flushAll();
    });
  }

  /** Flushes and closes every sync handle, so other code may open the files. */
  close(): Promise<void> {
    return this.serial(async () => {
      await this.meta.flush();
      this.handles.closeAll();
    });
  }

  /** How many sync handles are open now (for tests and figures). */
  get openHandles(): number { return this.handles.size; }

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(async () => {
      try {
        return await fn();
      } catch (e) {
        throw opfsErrno(e);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The sync handle of a regular file: EISDIR (folder), EINVAL (symlink). */
  private sync(node: OpfsNode): Promise<SyncAccessHandle> {
    if (node.kind === "dir") throw new FsError(EISDIR);
    if (node.kind !== "file") throw new FsError(EINVAL);
    node.snapshot = undefined;
    return this.handles.get(node.ino, async () => openSyncHandle(await this.nodes.fileHandle(node)));
  }

  /** Runs a change of the file's bytes; its mtime is now ours, not one a setattr stored. */
  private wrote(node: OpfsNode, change: () => void): void {
    change();
    node.changedMs = this.now();
    const path = this.nodes.path(node);
    if (this.meta.get(path)?.mtime) this.meta.update(path, { mtime: undefined });
  }

  /**
   * The file's snapshot, taken again after SNAPSHOT_MS: every change made here drops it, and
   * the age bounds how long a change made elsewhere (another tab) goes unseen.
   */
  private async snapshot(node: OpfsNode): Promise<OpfsFileSnapshot> {
    const held = node.snapshot;
    if (held && performance.now() - held.at < SNAPSHOT_MS) return held.file;
    const file = await (await this.nodes.fileHandle(node)).getFile();
    node.snapshot = { file, at: performance.now() };
    node.changedMs = Math.max(node.changedMs ?? 0, file.lastModified);
    return file;
  }

  private async attr(node: OpfsNode): Promise<FsAttr> {
    const m = this.meta.get(this.nodes.path(node));
    let size = 0;
    if (node.kind === "file") {
      const h = this.handles.peek(node.ino);
      if (h) size = h.getSize();
      else size = (await this.snapshot(node)).size;
    } else if (node.kind === "symlink") {
      size = new TextEncoder().encode(m?.target ?? "").length;
    }
    const type = node.kind === "dir" ? S_IFDIR : node.kind === "file" ? S_IFREG : S_IFLNK;
    const perms = node.kind === "symlink" ? 0o777 : (m?.mode ?? (node.kind === "dir" ? 0o755 : 0o644));
    const mtime = m?.mtime ?? time(node.changedMs ?? this.mountMs);
    return {
      ino: node.ino, mode: type | perms, uid: m?.uid ?? 0, gid: m?.gid ?? 0, nlink: node.kind === "dir" ? 2 : 1, rdev: 0,
      size, blocks: Math.ceil(size / 512), atime: ts(m?.atime ?? mtime), mtime: ts(mtime), ctime: ts(m?.ctime ?? mtime),
    };
  }
}

function ts(t: Time): { sec: number; nsec: number } {
  return { sec: t[0], nsec: t[1] };
}
