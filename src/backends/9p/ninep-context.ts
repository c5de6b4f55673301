// What a request handler sees: the filesystem, the session's fids and msize, the server's
// mode, and the few helpers every handler uses to refuse in the same words.
import { EBADF, EINVAL, ENFILE, ESTALE, FsError } from "./ninep-errno.js";
import type { Fid, FidTable } from "./ninep-fids.js";
import type { NinepFs } from "./ninep-fs.js";
import { IO_HEADER_BYTES, RDATA_HEADER_BYTES } from "./ninep-spec.js";

export interface NinepContext {
  readonly fs: NinepFs;
  readonly fids: FidTable;
  /** The negotiated msize: no reply is longer. */
  readonly msize: number;
  readonly readOnly: boolean;
  log(message: string): void;
}

/** Refuses the request: the server answers Rlerror(errno). */
export function refuse(errno: number): never {
  throw new FsError(errno);
}

/** The fid numbered `fid`: EBADF if there is none, ESTALE if restored but its file is gone. */
export function fidOf(ctx: NinepContext, fid: number): Fid {
  const entry = ctx.fids.get(fid) ?? refuse(EBADF);
  if (entry.stale) refuse(ESTALE);
  return entry;
}

/** EINVAL unless `fid` is free: checked before the work, and again when the fid is added. */
export function checkFree(ctx: NinepContext, fid: number): void {
  if (ctx.fids.get(fid) !== undefined) refuse(EINVAL);
}

/** Adds a fid: EINVAL if the number is taken, ENFILE (logged) when the table is full. */
export function addFid(ctx: NinepContext, fid: number, entry: Fid): void {
  const result = ctx.fids.add(fid, entry);
  if (result === "added") return;
  if (result === "full") {
    ctx.log(`9p: fid table full (${ctx.fids.maxFids} fids): fid ${fid} refused with ENFILE`);
    refuse(ENFILE);
  }
  refuse(result === "in use" ? EINVAL : EBADF);
}

/** ENFILE (logged) when no more fids may be open. */
export function checkCanOpen(ctx: NinepContext): void {
  if (!ctx.fids.canOpen) openTableFull(ctx);
}

function openTableFull(ctx: NinepContext): never {
  ctx.log(`9p: ${ctx.fids.maxOpen} files open: one more refused with ENFILE`);
  return refuse(ENFILE);
}

/**
 * Marks `fid` open after the filesystem opened it. When that cannot be (the fid was clunked
 * or opened meanwhile, the session ended, or other opens filled the table), it returns the
 * errno to answer, and the caller releases the open.
 */
export function markOpen(ctx: NinepContext, fid: number, entry: Fid, mode: { read: boolean; write: boolean }): number | undefined {
  const result = ctx.fids.markOpen(fid, entry, mode);
  if (result === "opened") return undefined;
  if (result === "full") ctx.log(`9p: ${ctx.fids.maxOpen} files open: one more refused with ENFILE`);
  return result === "full" ? ENFILE : EBADF;
}

/** Rlopen/Rlcreate's iounit: the most one Twrite can carry (Linux then splits I/O by it). */
export function iounit(ctx: NinepContext): number {
  return ctx.msize - IO_HEADER_BYTES;
}

/** Most data bytes an Rread or Rreaddir can carry in a reply of at most `room` bytes (<= msize). */
export function maxData(room: number): number {
  return Math.max(0, room - RDATA_HEADER_BYTES);
}
