// Requests that find files and look at them: Tattach, Twalk, Tgetattr, Tsetattr, Tstatfs,
// Treadlink. Twalk is where confinement shows: names are single components (the codec saw
// to that) looked up one at a time, and ".." at the share's root stays at the root (walk(5):
// "walking .. from the root is the root"), so no walk leaves the share.
import { addFid, checkFree, fidOf, refuse, type NinepContext } from "./ninep-context.js";
import { EINVAL, FsError } from "./ninep-errno.js";
import type { FsAttr, FsSetAttr, Timespec } from "./ninep-fs.js";
import { walkPath } from "./ninep-paths.js";
import type { RequestOf } from "./ninep-requests.js";
import {
  MODE_PERMISSIONS, MSG, NONUNAME, SETATTR_ATIME, SETATTR_ATIME_SET, SETATTR_GID, SETATTR_MODE, SETATTR_MTIME,
  SETATTR_MTIME_SET, SETATTR_SIZE, SETATTR_UID,
} from "./ninep-spec.js";
import { rempty, rgetattr, rqid, rreadlink, rstatfs, rwalk } from "./ninep-replies.js";
import { wait, type Steps } from "./ninep-steps.js";

/**
 * Tattach: `fid` becomes the share's root for the user n_uname (or uid 0 when the client
 * sends only a name: there is no table of user names). There is no authentication, so
 * afid is not looked at, and there is one share, so aname is not either.
 */
export function* attach(ctx: NinepContext, req: RequestOf<"attach">, tag: number): Steps<Uint8Array> {
  checkFree(ctx, req.fid);
  const root = yield* wait(ctx.fs.getattr(ctx.fs.root));
  const uid = req.nUname === NONUNAME ? 0 : req.nUname;
  addFid(ctx, req.fid, { ino: root.ino, uid, parent: undefined, name: undefined, open: undefined, path: "", stale: false });
  return rqid(MSG.Tattach + 1, tag, root);
}

/**
 * Twalk (walk(5)): newfid is made only when every name is found. A failure at the first name
 * is an Rlerror; a later one an Rwalk of the qids found so far. A fid open for I/O may be
 * cloned but not walked onto itself (EINVAL, as QEMU), since its open inode would change.
 */
export function* walk(ctx: NinepContext, req: RequestOf<"walk">, tag: number): Steps<Uint8Array> {
  const from = fidOf(ctx, req.fid);
  const self = req.newfid === req.fid;
  if (self && from.open !== undefined && req.names.length > 0) refuse(EINVAL);
  if (!self) checkFree(ctx, req.newfid);
  let ino = from.ino;
  let parent = from.parent;
  let name = from.name;
  let path = from.path;
  const found: FsAttr[] = [];
  for (const step of req.names) {
    let attr: FsAttr;
    try {
      attr = yield* wait(step === ".." ? up(ctx, ino) : ctx.fs.lookup(ino, step));
    } catch (err) {
      if (found.length === 0 || !(err instanceof FsError)) throw err;
      return rwalk(tag, found);
    }
    if (step === "..") {
      parent = undefined;
      name = undefined;
    } else {
      parent = ino;
      name = step;
    }
    ino = attr.ino;
    path = ino === ctx.fs.root ? "" : walkPath(path, step);
    found.push(attr);
  }
  if (self) {
    // With an asynchronous filesystem the fid may have been clunked or opened meanwhile.
    if (!ctx.fids.isCurrent(req.fid, from) || (from.open !== undefined && req.names.length > 0)) refuse(EINVAL);
    Object.assign(from, { ino, parent, name, path });
  } else {
    addFid(ctx, req.newfid, { ino, uid: from.uid, parent, name, open: undefined, path, stale: false });
  }
  return rwalk(tag, found);
}

/** The directory above `dir`, except at the share's root, which is its own parent. */
function up(ctx: NinepContext, dir: number) {
  return dir === ctx.fs.root ? ctx.fs.getattr(dir) : ctx.fs.parent(dir);
}

export function* getattr(ctx: NinepContext, req: RequestOf<"getattr">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  return rgetattr(tag, yield* wait(ctx.fs.getattr(fid.ino)));
}

/** Tsetattr: the fields its valid bits name; a time without its *_SET bit is "now". */
export function* setattr(ctx: NinepContext, req: RequestOf<"setattr">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  const a = req.attr;
  const changes: FsSetAttr = {};
  if (a.valid & SETATTR_MODE) changes.mode = a.mode & MODE_PERMISSIONS;
  if (a.valid & SETATTR_UID) changes.uid = a.uid;
  if (a.valid & SETATTR_GID) changes.gid = a.gid;
  if (a.valid & SETATTR_SIZE) changes.size = a.size;
  if (a.valid & SETATTR_ATIME) changes.atime = a.valid & SETATTR_ATIME_SET ? time(a.atimeSec, a.atimeNsec) : "now";
  if (a.valid & SETATTR_MTIME) changes.mtime = a.valid & SETATTR_MTIME_SET ? time(a.mtimeSec, a.mtimeNsec) : "now";
  yield* wait(ctx.fs.setattr(fid.ino, changes));
  return rempty(MSG.Tsetattr + 1, tag);
}

/** A time the guest sets: nanoseconds past a second are EINVAL, as utimensat(2). */
function time(sec: number, nsec: number): Timespec {
  if (nsec > 999_999_999) refuse(EINVAL);
  return { sec, nsec };
}

export function* statfs(ctx: NinepContext, req: RequestOf<"statfs">, tag: number): Steps<Uint8Array> {
  fidOf(ctx, req.fid);
  return rstatfs(tag, yield* wait(ctx.fs.statfs()));
}

export function* readlink(ctx: NinepContext, req: RequestOf<"readlink">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  return rreadlink(tag, yield* wait(ctx.fs.readlink(fid.ino)));
}
