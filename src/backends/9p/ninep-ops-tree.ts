// Requests that change names: Tmkdir, Tsymlink, Tmknod, Tlink, Trenameat, Trename, Tunlinkat,
// Tremove. Each names a directory by a fid and an entry by one checked name, so the
// filesystem only ever changes entries of directories inside the share.
import { fidOf, refuse, type NinepContext } from "./ninep-context.js";
import { EBADF, EBUSY, EINVAL, ENOENT, EPERM, EROFS, ESTALE, FsError } from "./ninep-errno.js";
import type { FsAttr } from "./ninep-fs.js";
import type { Fid } from "./ninep-fids.js";
import { childPath, forgetPaths, movePaths } from "./ninep-paths.js";
import type { RequestOf } from "./ninep-requests.js";
import { AT_REMOVEDIR, MODE_PERMISSIONS, MSG, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFSOCK } from "./ninep-spec.js";
import { rempty, rqid } from "./ninep-replies.js";
import { release } from "./ninep-ops-io.js";
import { wait, type Steps } from "./ninep-steps.js";

export function* mkdir(ctx: NinepContext, req: RequestOf<"mkdir">, tag: number): Steps<Uint8Array> {
  const dir = fidOf(ctx, req.dfid);
  const attr = yield* wait(ctx.fs.mkdir(dir.ino, req.name, req.mode & MODE_PERMISSIONS, { uid: dir.uid, gid: req.gid }));
  return rqid(MSG.Tmkdir + 1, tag, attr);
}

export function* symlink(ctx: NinepContext, req: RequestOf<"symlink">, tag: number): Steps<Uint8Array> {
  const dir = fidOf(ctx, req.fid);
  const attr = yield* wait(ctx.fs.symlink(dir.ino, req.name, req.target, { uid: dir.uid, gid: req.gid }));
  return rqid(MSG.Tsymlink + 1, tag, attr);
}

/**
 * Tmknod makes FIFOs and sockets only. Device nodes are EPERM (what an unprivileged host
 * says): a share is a place for files, and a device node there would mean a host device to
 * any backend that honoured it. Any other type is EINVAL (Linux creates regular files with
 * Tlcreate and directories with Tmkdir).
 */
export function* mknod(ctx: NinepContext, req: RequestOf<"mknod">, tag: number): Steps<Uint8Array> {
  const dir = fidOf(ctx, req.dfid);
  const type = req.mode & S_IFMT;
  if (type === S_IFCHR || type === S_IFBLK) refuse(EPERM);
  if (type !== S_IFIFO && type !== S_IFSOCK) refuse(EINVAL);
  const attr = yield* wait(ctx.fs.mknod(dir.ino, req.name, type | (req.mode & MODE_PERMISSIONS), { uid: dir.uid, gid: req.gid }));
  return rqid(MSG.Tmknod + 1, tag, attr);
}

export function* link(ctx: NinepContext, req: RequestOf<"link">, tag: number): Steps<Uint8Array> {
  const dir = fidOf(ctx, req.dfid);
  const target = fidOf(ctx, req.fid);
  yield* wait(ctx.fs.link(dir.ino, req.name, target.ino));
  return rempty(MSG.Tlink + 1, tag);
}

export function* renameat(ctx: NinepContext, req: RequestOf<"renameat">, tag: number): Steps<Uint8Array> {
  const from = fidOf(ctx, req.oldDirFid);
  const to = fidOf(ctx, req.newDirFid);
  yield* wait(ctx.fs.rename(from.ino, req.oldName, to.ino, req.newName));
  movePaths(ctx.fids, childPath(from.path, req.oldName), childPath(to.path, req.newName));
  return rempty(MSG.Trenameat + 1, tag);
}

/** Tunlinkat: AT_REMOVEDIR is the one flag (EINVAL for others). */
export function* unlinkat(ctx: NinepContext, req: RequestOf<"unlinkat">, tag: number): Steps<Uint8Array> {
  const dir = fidOf(ctx, req.dirFid);
  if ((req.flags & ~AT_REMOVEDIR) !== 0) refuse(EINVAL);
  yield* wait(ctx.fs.unlink(dir.ino, req.name, (req.flags & AT_REMOVEDIR) !== 0));
  forgetPaths(ctx.fids, childPath(dir.path, req.name));
  return rempty(MSG.Tunlinkat + 1, tag);
}

/**
 * The entry that `fid` was reached by, if it still names the fid's inode: EBUSY for a fid
 * with no name (a root fid, or one reached through ".."), ENOENT if the name has gone.
 */
function* entryOf(ctx: NinepContext, fid: Fid): Steps<{ parent: number; name: string; attr: FsAttr }> {
  if (fid.parent === undefined || fid.name === undefined) refuse(EBUSY);
  const { parent, name } = fid;
  let attr: FsAttr;
  try {
    attr = yield* wait(ctx.fs.lookup(parent, name));
  } catch (err) {
    throw err instanceof FsError ? new FsError(ENOENT) : err;
  }
  if (attr.ino !== fid.ino) refuse(ENOENT);
  return { parent, name, attr };
}

/** Trename (Linux falls back to it only when Trenameat fails): moves the fid's own entry. */
export function* rename(ctx: NinepContext, req: RequestOf<"rename">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  const to = fidOf(ctx, req.dfid);
  const { parent, name } = yield* entryOf(ctx, fid);
  yield* wait(ctx.fs.rename(parent, name, to.ino, req.name));
  const moved = fid.path;
  if (ctx.fids.isCurrent(req.fid, fid)) Object.assign(fid, { parent: to.ino, name: req.name });
  movePaths(ctx.fids, moved, childPath(to.path, req.name));
  return rempty(MSG.Trename + 1, tag);
}

/**
 * Tremove (remove(5)): the fid is clunked whether or not the remove succeeds. Order: EBADF,
 * then (the fid clunked) ESTALE, EROFS, EBUSY, ENOENT, and what the filesystem's unlink says.
 */
export function* remove(ctx: NinepContext, req: RequestOf<"remove">, tag: number): Steps<Uint8Array> {
  const fid = ctx.fids.remove(req.fid) ?? refuse(EBADF);
  if (fid.open !== undefined) yield* release(ctx, fid.ino);
  if (fid.stale) refuse(ESTALE);
  if (ctx.readOnly) refuse(EROFS);
  const { parent, name, attr } = yield* entryOf(ctx, fid);
  yield* wait(ctx.fs.unlink(parent, name, (attr.mode & S_IFMT) === S_IFDIR));
  forgetPaths(ctx.fids, fid.path);
  return rempty(MSG.Tremove + 1, tag);
}
