// Requests on open files: Tlopen, Tlcreate, Tread, Twrite, Tclunk, Tfsync, and the lock
// requests, which always succeed (the guest's kernel arbitrates between its own processes,
// and nobody else shares the files). Tread clamps its count to what fits in msize.
import { checkCanOpen, fidOf, iounit, markOpen, maxData, refuse, type NinepContext } from "./ninep-context.js";
import { EBADF, EINVAL, EROFS } from "./ninep-errno.js";
import type { FsOpenFlags } from "./ninep-fs.js";
import { childPath } from "./ninep-paths.js";
import type { RequestOf } from "./ninep-requests.js";
import { LOCK_SUCCESS, LOCK_TYPE_UNLCK, MODE_PERMISSIONS, MSG, OPEN_ACCMODE, OPEN_RDONLY, OPEN_TRUNC, OPEN_WRONLY, RDATA_HEADER_BYTES } from "./ninep-spec.js";
import { rempty, rgetlock, rlock, ropen, rread, rreadInPlace, rwrite } from "./ninep-replies.js";
import { wait, type Steps } from "./ninep-steps.js";

/** Tlopen's flags as the filesystem sees them: EINVAL for access mode 3. */
function openFlags(flags: number): FsOpenFlags {
  const access = flags & OPEN_ACCMODE;
  if (access === OPEN_ACCMODE) refuse(EINVAL);
  const write = access !== OPEN_RDONLY;
  return { read: access !== OPEN_WRONLY, write, truncate: write && (flags & OPEN_TRUNC) !== 0 };
}

/**
 * Tlopen, checked in this order: EROFS (a read-only share, asked to write or truncate),
 * EBADF (no such fid), EINVAL (already open, or access mode 3), ENFILE (MAX_OPEN reached),
 * then what the filesystem says (EISDIR for a directory opened to write, ...).
 */
export function* lopen(ctx: NinepContext, req: RequestOf<"lopen">, tag: number): Steps<Uint8Array> {
  if (ctx.readOnly && ((req.flags & OPEN_ACCMODE) !== OPEN_RDONLY || (req.flags & OPEN_TRUNC) !== 0)) refuse(EROFS);
  const fid = fidOf(ctx, req.fid);
  if (fid.open !== undefined) refuse(EINVAL);
  const flags = openFlags(req.flags);
  checkCanOpen(ctx);
  const attr = yield* wait(ctx.fs.open(fid.ino, flags));
  const failed = markOpen(ctx, req.fid, fid, { read: flags.read, write: flags.write });
  if (failed !== undefined) {
    yield* release(ctx, attr.ino);
    refuse(failed);
  }
  return ropen(MSG.Tlopen + 1, tag, attr, iounit(ctx));
}

/**
 * Tlcreate: a new regular file in the directory `fid`, which then names the new file, open.
 * Order: EBADF, EINVAL (fid open, access mode 3), ENFILE, then the filesystem's (ENOTDIR,
 * EEXIST, ENOSPC...). The name must be free, whatever the flags (no O_EXCL-less reopen).
 */
export function* lcreate(ctx: NinepContext, req: RequestOf<"lcreate">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  if (fid.open !== undefined) refuse(EINVAL);
  const flags = { ...openFlags(req.flags), truncate: false };
  checkCanOpen(ctx);
  const dir = fid.ino;
  const created = yield* wait(ctx.fs.create(dir, req.name, req.mode & MODE_PERMISSIONS, { uid: fid.uid, gid: req.gid }));
  const attr = yield* wait(ctx.fs.open(created.ino, flags));
  // With an asynchronous filesystem the fid may have been walked elsewhere meanwhile.
  const failed = fid.ino !== dir ? EBADF : markOpen(ctx, req.fid, fid, { read: flags.read, write: flags.write });
  if (failed !== undefined) {
    yield* release(ctx, created.ino);
    refuse(failed);
  }
  Object.assign(fid, { ino: created.ino, parent: dir, name: req.name, path: childPath(fid.path, req.name) });
  return ropen(MSG.Tlcreate + 1, tag, attr, iounit(ctx));
}

/**
 * Tread: EBADF unless open for reading; at most room - 11 bytes (room <= msize) whatever count
 * asks. A filesystem with readInto reads straight into the reply: `replyBuffer` when the caller
 * lends one big enough (the reply is then a view of it), else a new one of 11 + count bytes.
 */
export function* read(ctx: NinepContext, req: RequestOf<"read">, tag: number, room: number, replyBuffer: Uint8Array | undefined): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  if (fid.open?.read !== true) refuse(EBADF);
  const count = Math.min(req.count, maxData(room));
  const fs = ctx.fs;
  if (fs.readInto === undefined) {
    const data = yield* wait(fs.read(fid.ino, req.offset, count));
    return rread(tag, data.length > count ? data.subarray(0, count) : data);
  }
  const size = RDATA_HEADER_BYTES + count;
  const reply = replyBuffer !== undefined && replyBuffer.length >= size ? replyBuffer : new Uint8Array(size);
  const n = yield* wait(fs.readInto(fid.ino, req.offset, reply.subarray(RDATA_HEADER_BYTES, size)));
  // A filesystem's bug (a count past the target, NaN) must not make a malformed reply.
  return rreadInPlace(reply, tag, n >= 0 ? Math.min(count, Math.floor(n)) : 0);
}

/** Twrite: EBADF unless open for writing (its size is bounded by msize already). */
export function* write(ctx: NinepContext, req: RequestOf<"write">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  if (fid.open?.write !== true) refuse(EBADF);
  const written = yield* wait(ctx.fs.write(fid.ino, req.offset, req.data));
  return rwrite(tag, Math.max(0, Math.min(written, req.data.length)));
}

/** Tclunk: the fid goes even if the filesystem fails to release it (clunk(5)); that is logged. */
export function* clunk(ctx: NinepContext, req: RequestOf<"clunk">, tag: number): Steps<Uint8Array> {
  const fid = ctx.fids.remove(req.fid) ?? refuse(EBADF);
  if (fid.open !== undefined) yield* release(ctx, fid.ino);
  return rempty(MSG.Tclunk + 1, tag);
}

/** Ends an open of `ino`; a failure is logged, never answered (the fid is gone either way). */
export function* release(ctx: NinepContext, ino: number): Steps<void> {
  try {
    yield* wait(ctx.fs.release(ino));
  } catch (err) {
    ctx.log(`9p: release of inode ${ino} failed: ${String(err)}`);
  }
}

export function* fsync(ctx: NinepContext, req: RequestOf<"fsync">, tag: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  yield* wait(ctx.fs.fsync(fid.ino, req.datasync));
  return rempty(MSG.Tfsync + 1, tag);
}

export function* lock(ctx: NinepContext, req: RequestOf<"lock">, tag: number): Steps<Uint8Array> {
  fidOf(ctx, req.fid);
  return rlock(tag, LOCK_SUCCESS);
}

/** Tgetlock: nobody else holds a lock, so the range is unlocked; the rest is echoed. */
export function* getlock(ctx: NinepContext, req: RequestOf<"getlock">, tag: number): Steps<Uint8Array> {
  fidOf(ctx, req.fid);
  return rgetlock(tag, LOCK_TYPE_UNLCK, req.start, req.length, req.procId, req.clientId);
}
