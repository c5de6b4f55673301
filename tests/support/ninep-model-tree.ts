// The fuzz model's operations on names (renameat, unlinkat) and its directory listing, in
// the order memory-rename.ts and memory-fs.ts document their refusals. Paths move as keys
// of the model's Map: a directory's subtree is re-keyed under its new name.
import { E, join, type MNode, type NinepModel } from "./ninep-model.js";

function refuse(errno: number): never {
  throw new ModelTreeRefusal(errno);
}

/** Thrown like the model's own refusals; `treeOutcome` reads it. */
export class ModelTreeRefusal {
  constructor(readonly errno: number) {}
}

export function treeOutcome<T>(f: () => T): { errno: number } | { ok: T } {
  try {
    return { ok: f() };
  } catch (err) {
    if (err instanceof ModelTreeRefusal) return { errno: err.errno };
    if (typeof err === "object" && err !== null && "errno" in err && typeof err.errno === "number") return { errno: err.errno };
    throw err;
  }
}

const within = (path: string, top: string) => path === top || path.startsWith(`${top}/`);

export function renameat(m: NinepModel, oldNum: number, oldName: string, newNum: number, newName: string): void {
  const fromNode = m.fid(oldNum).node;
  const toNode = m.fid(newNum).node;
  const fromDir = m.dir(fromNode);
  const toDir = m.dir(toNode);
  if (fromDir.path === undefined) refuse(E.ENOENT);
  const oldPath = join(fromDir.path, oldName);
  const moving = m.paths.get(oldPath) ?? refuse(E.ENOENT);
  if (toDir.path === undefined) refuse(E.ENOENT);
  const newPath = join(toDir.path, newName);
  const existing = m.paths.get(newPath);
  if (existing === moving) return;
  if (moving.kind === "dir" && within(toDir.path, oldPath)) refuse(E.EINVAL);
  if (existing !== undefined) {
    if (moving.kind === "dir" && existing.kind !== "dir") refuse(E.ENOTDIR);
    if (moving.kind !== "dir" && existing.kind === "dir") refuse(E.EISDIR);
    if (existing.kind === "dir" && m.children(newPath).length > 0) refuse(E.ENOTEMPTY);
    drop(m, newPath, existing);
  }
  // Re-key the entry and, for a directory, everything under it, keeping their order.
  const moved = [...m.paths].filter(([p]) => within(p, oldPath));
  for (const [p] of moved) m.paths.delete(p);
  for (const [p, n] of moved) {
    const q = newPath + p.slice(oldPath.length);
    m.paths.set(q, n);
    if (n.kind === "dir") n.path = q;
  }
}

export function unlinkat(m: NinepModel, num: number, name: string, flags: number): void {
  const d = m.fid(num).node;
  if ((flags & ~0x200) !== 0) refuse(E.EINVAL);
  const dir = m.dir(d);
  if (dir.path === undefined) refuse(E.ENOENT);
  const path = join(dir.path, name);
  const victim = m.paths.get(path) ?? refuse(E.ENOENT);
  const removeDir = (flags & 0x200) !== 0;
  if (removeDir && victim.kind !== "dir") refuse(E.ENOTDIR);
  if (!removeDir && victim.kind === "dir") refuse(E.EISDIR);
  if (victim.kind === "dir" && m.children(path).length > 0) refuse(E.ENOTEMPTY);
  drop(m, path, victim);
}

function drop(m: NinepModel, path: string, victim: MNode): void {
  m.paths.delete(path);
  victim.links--;
  if (victim.kind === "dir") victim.path = undefined;
}

/** Treaddir from offset 0 with room for everything: ".", ".." and the entries, or nothing for a removed directory. */
export function readdir(m: NinepModel, num: number): { name: string; node: MNode }[] {
  const f = m.fid(num);
  if (!f.open) refuse(E.EBADF);
  if (f.node.kind !== "dir") refuse(E.ENOTDIR);
  const path = f.node.path;
  if (path === undefined) return [];
  const parent = path === "" ? f.node : m.paths.get(path.slice(0, Math.max(0, path.lastIndexOf("/"))))!;
  return [{ name: ".", node: f.node }, { name: "..", node: parent }, ...m.children(path).map(([name, node]) => ({ name, node }))];
}
