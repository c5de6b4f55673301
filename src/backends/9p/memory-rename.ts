// rename(2) in a memory filesystem, the one operation with many cases. Checked in this order,
// nothing changed until all pass:
//   1. oldDir, then newDir: ENOENT (no inode), ENOTDIR;
//   2. oldName in oldDir: ENOENT; newDir removed: ENOENT;
//   3. newName already names the same inode: done, nothing changes (rename(2));
//   4. moving a directory into itself or below itself: EINVAL;
//   5. an existing target: ENOTDIR (directory over non-directory), EISDIR (the other way),
//      ENOTEMPTY (over a directory with entries);
//   6. the new name's metadata: ENOSPC.
// The walk up for step 4 is bounded by the tree's depth, itself bounded by maxInodes.
import { entryCost } from "./memory-budget.js";
import type { DirInode, InodeTable } from "./memory-inodes.js";
import { EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, FsError } from "./ninep-errno.js";
import type { Ino } from "./ninep-fs.js";

export function renameEntry(table: InodeTable, oldDir: Ino, oldName: string, newDir: Ino, newName: string): void {
  const from = table.dir(oldDir);
  const to = table.dir(newDir);
  const ino = from.entries.get(oldName);
  if (ino === undefined) throw new FsError(ENOENT);
  if (to.nlink === 0) throw new FsError(ENOENT);
  const existing = to.entries.get(newName);
  if (existing === ino) return;
  const moving = table.get(ino);
  if (moving.kind === "dir" && isWithin(table, to, moving.ino)) throw new FsError(EINVAL);
  const target = existing === undefined ? undefined : table.get(existing);
  if (target !== undefined) {
    if (moving.kind === "dir" && target.kind !== "dir") throw new FsError(ENOTDIR);
    if (moving.kind !== "dir" && target.kind === "dir") throw new FsError(EISDIR);
    if (target.kind === "dir" && target.entries.size > 0) throw new FsError(ENOTEMPTY);
  }
  table.budget.charge(entryCost(newName));
  if (target !== undefined) table.unlinkEntry(to, newName, target);
  from.entries.delete(oldName);
  table.budget.credit(entryCost(oldName));
  to.entries.add(newName, moving.ino);
  if (moving.kind === "dir" && from !== to) {
    moving.parent = to.ino;
    from.nlink--;
    to.nlink++;
  }
  table.touch(moving, false);
  table.touch(from, true);
  table.touch(to, true);
}

/** True if `dir` is the directory `ancestor` or lies below it. */
function isWithin(table: InodeTable, dir: DirInode, ancestor: Ino): boolean {
  let d = dir;
  for (;;) {
    if (d.ino === ancestor) return true;
    if (d.parent === d.ino) return false;
    d = table.dir(d.parent);
  }
}
