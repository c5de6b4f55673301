// An independent model of what the 9P server over a memory filesystem answers, for the fuzz
// suite: the files are a Map of paths ("" the root, "a/b" below it) to nodes, fids point at
// nodes, and each operation checks what it refuses in the order the server and MemoryFs
// document (ninep-ops-*.ts, memory-fs.ts, memory-rename.ts), returning an errno or what the
// reply must hold. Written from those descriptions, sharing no code with src/backends/9p.

export const E = {
  ENOENT: 2, EBADF: 9, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EFBIG: 27,
  ENOTEMPTY: 39, ELOOP: 40, EPERM: 1,
} as const;
export const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export interface MNode {
  id: number;
  kind: "file" | "dir" | "symlink";
  mode: number;
  data: Uint8Array;
  target: string;
  /** Names it has (a directory: 1 until removed, then 0). */
  links: number;
  opens: number;
  /** A directory's path while it has one. */
  path: string | undefined;
}

export interface MFid {
  node: MNode;
  open: { read: boolean; write: boolean } | undefined;
}

export type Outcome<T> = { errno: number } | { ok: T };

function fail(errno: number): never {
  throw new ModelRefusal(errno);
}

class ModelRefusal {
  constructor(readonly errno: number) {}
}

/** Runs `f`: its value, or the errno it refused with. */
export function outcome<T>(f: () => T): Outcome<T> {
  try {
    return { ok: f() };
  } catch (err) {
    if (err instanceof ModelRefusal) return { errno: err.errno };
    throw err;
  }
}

export const join = (dir: string, name: string) => (dir === "" ? name : `${dir}/${name}`);
export const parentOf = (path: string) => (path.lastIndexOf("/") < 0 ? "" : path.slice(0, path.lastIndexOf("/")));

export class NinepModel {
  readonly paths = new Map<string, MNode>();
  readonly fids = new Map<number, MFid>();
  private nextId = 1;

  constructor(readonly maxFids: number, readonly maxOpen: number, public msize: number) {
    this.paths.set("", this.node("dir", S_IFDIR | 0o755, ""));
  }

  get root(): MNode {
    return this.paths.get("")!;
  }

  node(kind: MNode["kind"], mode: number, path?: string): MNode {
    return { id: this.nextId++, kind, mode, data: new Uint8Array(0), target: "", links: 1, opens: 0, path };
  }

  /** An inode MemoryFs has freed: no name and not open. */
  gone(n: MNode): boolean {
    return n !== this.root && n.links === 0 && n.opens === 0;
  }

  fid(n: number): MFid {
    return this.fids.get(n) ?? fail(E.EBADF);
  }

  get openCount(): number {
    let n = 0;
    for (const f of this.fids.values()) if (f.open) n++;
    return n;
  }

  /** table.dir: ENOENT once freed, ENOTDIR. */
  dir(n: MNode): MNode {
    if (this.gone(n)) fail(E.ENOENT);
    if (n.kind !== "dir") fail(E.ENOTDIR);
    return n;
  }

  /** A directory that can take a new entry (MemoryFs liveDir). */
  liveDir(n: MNode): string {
    const d = this.dir(n);
    return d.path ?? fail(E.ENOENT);
  }

  /** The entry `name` of directory node `d` (ENOENT/ENOTDIR for d, ENOENT for the name). */
  lookup(d: MNode, name: string): MNode {
    const dir = this.dir(d);
    if (dir.path === undefined) fail(E.ENOENT);
    return this.paths.get(join(dir.path, name)) ?? fail(E.ENOENT);
  }

  children(dirPath: string): [string, MNode][] {
    const out: [string, MNode][] = [];
    for (const [p, n] of this.paths) if (p !== "" && parentOf(p) === dirPath) out.push([p.slice(dirPath === "" ? 0 : dirPath.length + 1), n]);
    return out;
  }

  nlink(n: MNode): number {
    if (n.kind !== "dir") return n.links;
    if (n.path === undefined) return 0;
    return 2 + this.children(n.path).filter(([, c]) => c.kind === "dir").length;
  }

  addFid(num: number, entry: MFid): void {
    if (this.fids.has(num)) fail(E.EINVAL);
    if (this.fids.size >= this.maxFids) fail(E.ENFILE);
    this.fids.set(num, entry);
  }

  release(f: MFid): void {
    if (f.open) f.node.opens--;
  }

  attach(num: number): MNode {
    if (this.fids.has(num)) fail(E.EINVAL);
    this.addFid(num, { node: this.root, open: undefined });
    return this.root;
  }

  /** The nodes found; a fid is made (or moved) only when all are. */
  walk(num: number, newNum: number, names: string[]): MNode[] {
    const from = this.fid(num);
    const self = num === newNum;
    if (self && from.open && names.length > 0) fail(E.EINVAL);
    if (!self && this.fids.has(newNum)) fail(E.EINVAL);
    let at = from.node;
    const found: MNode[] = [];
    for (const name of names) {
      const next = outcome(() => (name === ".." ? this.up(at) : this.lookup(at, name)));
      if ("errno" in next) {
        if (found.length === 0) fail(next.errno);
        return found;
      }
      at = next.ok;
      found.push(at);
    }
    if (self) from.node = at;
    else this.addFid(newNum, { node: at, open: undefined });
    return found;
  }

  private up(n: MNode): MNode {
    if (n === this.root) return n;
    const d = this.dir(n);
    if (d.path === undefined) fail(E.ENOENT);
    return this.paths.get(parentOf(d.path))!;
  }

  lopen(num: number, flags: number): MNode {
    const f = this.fid(num);
    if (f.open) fail(E.EINVAL);
    const access = flags & 3;
    if (access === 3) fail(E.EINVAL);
    if (this.openCount >= this.maxOpen) fail(E.ENFILE);
    const n = f.node;
    if (this.gone(n)) fail(E.ENOENT);
    if (n.kind === "symlink") fail(E.ELOOP);
    const write = access !== 0;
    if (n.kind === "dir" && write) fail(E.EISDIR);
    if (n.kind === "file" && write && flags & 0o1000) n.data = new Uint8Array(0);
    n.opens++;
    f.open = { read: access !== 1, write };
    return n;
  }

  lcreate(num: number, name: string, flags: number, mode: number): MNode {
    const f = this.fid(num);
    if (f.open) fail(E.EINVAL);
    const access = flags & 3;
    if (access === 3) fail(E.EINVAL);
    if (this.openCount >= this.maxOpen) fail(E.ENFILE);
    const made = this.newEntry(f.node, name, () => this.node("file", S_IFREG | (mode & 0o7777)));
    made.opens++;
    Object.assign(f, { node: made, open: { read: access !== 1, write: access !== 0 } });
    return made;
  }

  newEntry(dirNode: MNode, name: string, make: (path: string) => MNode): MNode {
    const dir = this.liveDir(dirNode);
    const path = join(dir, name);
    if (this.paths.has(path)) fail(E.EEXIST);
    const made = make(path);
    this.paths.set(path, made);
    return made;
  }

  read(num: number, offset: number, count: number): Uint8Array {
    const f = this.fid(num);
    if (!f.open?.read) fail(E.EBADF);
    if (f.node.kind === "dir") fail(E.EISDIR);
    const n = Math.min(count, this.msize - 11);
    return f.node.data.slice(Math.min(offset, f.node.data.length), Math.min(offset + n, f.node.data.length));
  }

  write(num: number, offset: number, data: Uint8Array): number {
    const f = this.fid(num);
    if (!f.open?.write) fail(E.EBADF);
    if (offset + data.length > MAX_SAFE) fail(E.EFBIG);
    const node = f.node;
    if (offset + data.length > node.data.length) node.data = grown(node.data, offset + data.length);
    node.data.set(data, offset);
    return data.length;
  }

  setattr(num: number, mode: number | undefined, size: number | undefined): void {
    const n = this.fid(num).node;
    if (this.gone(n)) fail(E.ENOENT);
    if (size !== undefined) {
      if (n.kind !== "file") fail(n.kind === "dir" ? E.EISDIR : E.EINVAL);
      n.data = size <= n.data.length ? n.data.slice(0, size) : grown(n.data, size);
    }
    if (mode !== undefined) n.mode = (n.mode & 0o170000) | (mode & 0o7777);
  }

  mkdir(num: number, name: string, mode: number): MNode {
    return this.newEntry(this.fid(num).node, name, (path) => this.node("dir", S_IFDIR | (mode & 0o7777), path));
  }

  symlink(num: number, name: string, target: string): MNode {
    return this.newEntry(this.fid(num).node, name, () => ({ ...this.node("symlink", S_IFLNK | 0o777), target }));
  }

  readlink(num: number): string {
    const n = this.fid(num).node;
    if (this.gone(n)) fail(E.ENOENT);
    if (n.kind !== "symlink") fail(E.EINVAL);
    return n.target;
  }

  link(dirNum: number, num: number, name: string): void {
    const d = this.fid(dirNum).node;
    const t = this.fid(num).node;
    const dir = this.liveDir(d);
    if (this.paths.has(join(dir, name))) fail(E.EEXIST);
    if (this.gone(t)) fail(E.ENOENT);
    if (t.kind === "dir") fail(E.EPERM);
    if (t.links === 0) fail(E.ENOENT);
    t.links++;
    this.paths.set(join(dir, name), t);
  }

  getattr(num: number): MNode {
    const n = this.fid(num).node;
    if (this.gone(n)) fail(E.ENOENT);
    return n;
  }

  fsync(num: number): void {
    this.getattr(num);
  }

  clunk(num: number): void {
    const f = this.fid(num);
    this.fids.delete(num);
    this.release(f);
  }

  /** Tversion: every fid goes, opens released. */
  version(msize: number): void {
    for (const f of this.fids.values()) this.release(f);
    this.fids.clear();
    this.msize = msize;
  }
}

function grown(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, Math.min(size, data.length)));
  return out;
}
