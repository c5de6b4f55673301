// OpfsFs's inode table. The OPFS names files by path from handles; 9P names them by inode
// number. Each file the guest has seen gets a node (parent inode + name) and a number that is
// never reused; its handle is cached and found again from the parent's when dropped (after a
// folder moved, whose handles below may point at the old place).
import { ENOENT, ENOTDIR, FsError } from "./ninep-errno.js";
import type { Ino } from "./ninep-fs.js";
import type { OpfsDirHandle, OpfsFileHandle, OpfsFileSnapshot, OpfsHandle } from "./opfs-handles.js";

export type NodeKind = "dir" | "file" | "symlink";

export interface OpfsNode {
  readonly ino: Ino;
  parent: Ino;
  name: string;
  readonly kind: NodeKind;
  handle: OpfsHandle | undefined;
  removed: boolean;
  /** Last change seen or made (ms): a file's lastModified, or our own write's clock. */
  changedMs: number | undefined;
  /**
   * A file's snapshot (size, bytes) while no sync handle holds it, and when it was taken
   * (performance.now()); dropped by any change through this filesystem.
   */
  snapshot: { file: OpfsFileSnapshot; at: number } | undefined;
}

export const ROOT_INO = 1;

export class OpfsNodes {
  private readonly byIno = new Map<Ino, OpfsNode>();
  private readonly byName = new Map<string, OpfsNode>();
  private nextIno = ROOT_INO + 1;
  readonly root: OpfsNode;

  constructor(rootHandle: OpfsDirHandle) {
    this.root = { ino: ROOT_INO, parent: ROOT_INO, name: "", kind: "dir", handle: rootHandle, removed: false, changedMs: undefined, snapshot: undefined };
    this.byIno.set(ROOT_INO, this.root);
  }

  get count(): number {
    return this.byIno.size;
  }

  /** ENOENT for a number never handed out or a node removed. */
  get(ino: Ino): OpfsNode {
    const n = this.byIno.get(ino);
    if (!n || n.removed) throw new FsError(ENOENT);
    return n;
  }

  /** A live folder: ENOENT, ENOTDIR. */
  dir(ino: Ino): OpfsNode {
    const n = this.get(ino);
    if (n.kind !== "dir") throw new FsError(ENOTDIR);
    return n;
  }

  child(parent: Ino, name: string): OpfsNode | undefined {
    return this.byName.get(key(parent, name));
  }

  /** The node for `name` in `parent`: the known one if of this kind, else a new one. */
  add(parent: Ino, name: string, kind: NodeKind, handle?: OpfsHandle): OpfsNode {
    const known = this.child(parent, name);
    if (known && known.kind === kind) {
      if (handle) known.handle = handle;
      return known;
    }
    if (known) this.drop(known);
    const node: OpfsNode = { ino: this.nextIno++, parent, name, kind, handle, removed: false, changedMs: undefined, snapshot: undefined };
    this.byIno.set(node.ino, node);
    this.byName.set(key(parent, name), node);
    return node;
  }

  /** The path from the share's root, "" for the root itself (the metadata's key). */
  path(node: OpfsNode): string {
    const parts: string[] = [];
    for (let n = node; n.ino !== ROOT_INO; n = this.byIno.get(n.parent)!) parts.push(n.name);
    return parts.reverse().join("/");
  }

  /** True when `node` is `ancestor` or lies below it. */
  within(node: OpfsNode, ancestor: OpfsNode): boolean {
    for (let n = node; ; n = this.byIno.get(n.parent)!) {
      if (n === ancestor) return true;
      if (n.ino === ROOT_INO) return false;
    }
  }

  /** Every live node below `dir`. */
  below(dir: OpfsNode): OpfsNode[] {
    return [...this.byIno.values()].filter((n) => n !== dir && !n.removed && this.within(n, dir));
  }

  /** `node` (and all below it) removed: its number answers ENOENT from now on. */
  drop(node: OpfsNode): void {
    for (const n of node.kind === "dir" ? [node, ...this.below(node)] : [node]) {
      n.removed = true;
      this.byIno.delete(n.ino);
      if (this.byName.get(key(n.parent, n.name)) === n) this.byName.delete(key(n.parent, n.name));
    }
  }

  /** `node` is now `name` in `parent`; handles at and below it are found again when next used. */
  move(node: OpfsNode, parent: Ino, name: string): void {
    this.byName.delete(key(node.parent, node.name));
    node.parent = parent;
    node.name = name;
    this.byName.set(key(parent, name), node);
    node.handle = undefined;
    node.snapshot = undefined;
    if (node.kind === "dir") for (const n of this.below(node)) [n.handle, n.snapshot] = [undefined, undefined];
  }

  async dirHandle(node: OpfsNode): Promise<OpfsDirHandle> {
    if (node.handle?.kind === "directory") return node.handle;
    const parent = await this.dirHandle(this.get(node.parent));
    const h = await parent.getDirectoryHandle(node.name);
    node.handle = h;
    return h;
  }

  async fileHandle(node: OpfsNode): Promise<OpfsFileHandle> {
    if (node.handle?.kind === "file") return node.handle;
    const parent = await this.dirHandle(this.get(node.parent));
    const h = await parent.getFileHandle(node.name);
    node.handle = h;
    return h;
  }
}

function key(parent: Ino, name: string): string {
  return `${parent}/${name}`;
}
