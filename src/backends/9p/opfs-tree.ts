// OpfsFs's changes to the tree: finding, making, removing, renaming and listing entries. Each
// checks before it changes anything. Symlinks exist only in the sidecar (opfs-meta.ts), files
// and folders in the OPFS; a name is either, never both (make refuses a taken name).
import { EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, FsError } from "./ninep-errno.js";
import type { FsDirEntry, FsOwner } from "./ninep-fs.js";
import { S_IFDIR, S_IFLNK, S_IFREG } from "./ninep-spec.js";
import type { SyncHandleCache } from "./opfs-handle-cache.js";
import { copyable, copyFileThenRemove, copyTreeThenRemove } from "./opfs-copy.js";
import { EACCES, EXDEV, opfsErrno, type OpfsDirHandle, type OpfsHandle } from "./opfs-handles.js";
import { isMetaName, META_NAME, time, type ShareMeta } from "./opfs-meta.js";
import { OpfsNodes, ROOT_INO, type NodeKind, type OpfsNode } from "./opfs-nodes.js";

/** Folder listings kept for readdir's cookies (one per folder being read). */
const MAX_LISTINGS = 64;

type Listing = readonly Omit<FsDirEntry, "cookie">[];

export class OpfsTree {
  readonly nodes: OpfsNodes;
  private readonly listings = new Map<number, Listing>();

  constructor(root: OpfsDirHandle, private readonly meta: ShareMeta, private readonly handles: SyncHandleCache<number>, private readonly now: () => number) {
    this.nodes = new OpfsNodes(root);
  }

  /** The entry `name` of `dir`: ENOENT (the sidecar is never an entry). */
  async find(dir: OpfsNode, name: string): Promise<OpfsNode> {
    if (hidden(dir, name)) throw new FsError(ENOENT);
    const known = this.nodes.child(dir.ino, name);
    if (known) return known;
    if (this.meta.get(this.pathOf(dir, name))?.target !== undefined) return this.nodes.add(dir.ino, name, "symlink");
    const handle = await this.opfsEntry(dir, name);
    if (!handle) throw new FsError(ENOENT);
    return this.nodes.add(dir.ino, name, handle.kind === "file" ? "file" : "dir", handle);
  }

  /** A new file, folder or symlink: EACCES (the sidecar's name), EEXIST. */
  async make(dir: OpfsNode, name: string, kind: NodeKind, mode: number, owner: FsOwner, target?: string): Promise<OpfsNode> {
    if (hidden(dir, name)) throw new FsError(EACCES, `${META_NAME} holds the share's metadata`);
    if (await this.exists(dir, name)) throw new FsError(EEXIST);
    const parent = await this.nodes.dirHandle(dir);
    let handle: OpfsHandle | undefined;
    if (kind === "file") handle = await parent.getFileHandle(name, { create: true });
    else if (kind === "dir") handle = await parent.getDirectoryHandle(name, { create: true });
    const node = this.nodes.add(dir.ino, name, kind, handle);
    node.changedMs = this.now();
    this.changed(dir);
    const plain = kind === "dir" ? 0o755 : 0o644;
    this.meta.update(this.nodes.path(node), {
      mode: kind === "symlink" || mode === plain ? undefined : mode,
      uid: owner.uid === 0 ? undefined : owner.uid,
      gid: owner.gid === 0 ? undefined : owner.gid,
      target,
      // Files have their own lastModified; folders and symlinks have no time but this.
      mtime: kind === "file" ? undefined : time(node.changedMs),
    });
    return node;
  }

  /** ENOENT; EISDIR / ENOTDIR (kind against removeDir); ENOTEMPTY. */
  async unlink(dir: OpfsNode, name: string, removeDir: boolean): Promise<void> {
    const victim = await this.find(dir, name);
    if (victim.kind === "dir" && !removeDir) throw new FsError(EISDIR);
    if (victim.kind !== "dir" && removeDir) throw new FsError(ENOTDIR);
    if (victim.kind === "dir" && !(await this.empty(victim))) throw new FsError(ENOTEMPTY);
    await this.remove(dir, victim);
  }

  /**
   * rename(2): ENOENT; EINVAL (a folder into itself); EISDIR / ENOTDIR / ENOTEMPTY (the
   * target); EXDEV (a folder, in a browser that cannot move folders). Checks come first.
   */
  async rename(oldDir: OpfsNode, oldName: string, newDir: OpfsNode, newName: string): Promise<void> {
    const src = await this.find(oldDir, oldName);
    if (hidden(newDir, newName)) throw new FsError(EACCES, `${META_NAME} holds the share's metadata`);
    if (oldDir === newDir && oldName === newName) return;
    if (src.kind === "dir" && this.nodes.within(newDir, src)) throw new FsError(EINVAL);
    const dst = await this.find(newDir, newName).catch((e: unknown) => {
      if (e instanceof FsError && e.errno === ENOENT) return undefined;
      throw e;
    });
    if (dst?.kind === "dir" && src.kind !== "dir") throw new FsError(EISDIR);
    if (dst && dst.kind !== "dir" && src.kind === "dir") throw new FsError(ENOTDIR);
    if (dst?.kind === "dir" && !(await this.empty(dst))) throw new FsError(ENOTEMPTY);
    const from = await this.nodes.dirHandle(oldDir);
    const to = await this.nodes.dirHandle(newDir);
    const srcDir = src.kind === "dir" ? await this.nodes.dirHandle(src) : undefined;
    // Files held open below a folder would stop its move (and its copy's reads).
    if (srcDir) for (const n of this.nodes.below(src)) this.handles.close(n.ino);
    const copyDir = srcDir !== undefined && typeof srcDir.move !== "function";
    if (copyDir && !(await copyable(srcDir))) throw new FsError(EXDEV, "this browser cannot move folders, and this one is too big to copy here");
    if (dst) await this.remove(newDir, dst);
    const oldPath = this.nodes.path(src);
    if (srcDir) {
      if (copyDir) await copyTreeThenRemove(srcDir, from, oldName, to, newName);
      else await srcDir.move!(to, newName);
    } else if (src.kind === "file") {
      this.handles.close(src.ino);
      const file = await this.nodes.fileHandle(src);
      if (typeof file.move === "function") await file.move(to, newName);
      else await copyFileThenRemove(file, from, oldName, to, newName);
    }
    this.nodes.move(src, newDir.ino, newName);
    this.meta.move(oldPath, this.nodes.path(src));
    this.changed(oldDir);
    this.changed(newDir);
  }

  /** Entries after `cookie` from a listing taken when the reading began (cookie 0). */
  async readdir(dir: OpfsNode, cookie: number, max: number): Promise<FsDirEntry[]> {
    let listing = this.listings.get(dir.ino);
    if (cookie === 0 || !listing) {
      listing = await this.list(dir);
      this.listings.delete(dir.ino);
      this.listings.set(dir.ino, listing);
      while (this.listings.size > MAX_LISTINGS) this.listings.delete(this.listings.keys().next().value as number);
    }
    return listing.slice(cookie, cookie + max).map((e, i) => ({ ...e, cookie: cookie + i + 1 }));
  }

  private async list(dir: OpfsNode): Promise<Listing> {
    const out: Omit<FsDirEntry, "cookie">[] = [];
    for await (const [name, handle] of (await this.nodes.dirHandle(dir)).entries()) {
      if (hidden(dir, name)) continue;
      const node = this.nodes.add(dir.ino, name, handle.kind === "file" ? "file" : "dir", handle);
      out.push({ name, ino: node.ino, mode: node.kind === "file" ? S_IFREG : S_IFDIR });
    }
    for (const [name] of this.meta.symlinksIn(this.nodes.path(dir))) {
      if (out.some((e) => e.name === name)) continue;
      out.push({ name, ino: this.nodes.add(dir.ino, name, "symlink").ino, mode: S_IFLNK });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async remove(dir: OpfsNode, victim: OpfsNode): Promise<void> {
    const path = this.nodes.path(victim);
    if (victim.kind !== "symlink") {
      this.handles.close(victim.ino);
      await (await this.nodes.dirHandle(dir)).removeEntry(victim.name, { recursive: false });
    }
    this.meta.remove(path);
    this.nodes.drop(victim);
    this.changed(dir);
  }

  /** `dir`'s entries changed: its mtime (kept in the sidecar) is now, its listing stale. */
  private changed(dir: OpfsNode): void {
    dir.changedMs = this.now();
    this.meta.update(this.nodes.path(dir), { mtime: time(dir.changedMs) });
    this.listings.delete(dir.ino);
  }

  private async empty(dir: OpfsNode): Promise<boolean> {
    for await (const [name] of (await this.nodes.dirHandle(dir)).entries()) if (!hidden(dir, name)) return false;
    return this.meta.symlinksIn(this.nodes.path(dir)).length === 0;
  }

  private async exists(dir: OpfsNode, name: string): Promise<boolean> {
    if (this.nodes.child(dir.ino, name)) return true;
    if (this.meta.get(this.pathOf(dir, name))?.target !== undefined) return true;
    return (await this.opfsEntry(dir, name)) !== undefined;
  }

  /** The file or folder `name` in `dir` in the OPFS, if there is one. */
  private async opfsEntry(dir: OpfsNode, name: string): Promise<OpfsHandle | undefined> {
    const parent = await this.nodes.dirHandle(dir);
    for (const get of [() => parent.getFileHandle(name), () => parent.getDirectoryHandle(name)]) {
      try {
        return await get();
      } catch (e) {
        const why = e instanceof Error ? e.name : "";
        if (why === "NotFoundError") return undefined;
        if (why !== "TypeMismatchError") throw opfsErrno(e);
      }
    }
    return undefined;
  }

  private pathOf(dir: OpfsNode, name: string): string {
    const p = this.nodes.path(dir);
    return p === "" ? name : `${p}/${name}`;
  }
}

/** The sidecar, at the share's root: never listed, found or made. */
function hidden(dir: OpfsNode, name: string): boolean {
  return dir.ino === ROOT_INO && isMetaName(name);
}
