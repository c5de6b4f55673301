// A 9P2000.L file server over a NinepFs: what sits behind a virtio-9p device. The device
// hands over each request chain's readable bytes as one T-message and writes the reply into
// the chain's writable bytes; `handle` is the whole protocol in between.
//
// Guarantees, whatever the guest sends (docs/hostile-guests.md):
//   - `handle` never throws and its Promise never rejects: a malformed message, a refused
//     request and a failing filesystem are all answered with Rlerror (ninep-decode.ts lists
//     the codec's errnos, each handler its own; an unexpected exception is EIO, logged);
//   - every reply is well formed (size field = length, the request's tag, type T+1 or
//     Rlerror) and fits in the negotiated msize and the device's buffer (Tread and Treaddir
//     shorten their data; any other reply that cannot fit is Rlerror EMSGSIZE, logged);
//   - the work and memory of one request are bounded by constants: msize <= MAX_MSIZE,
//     Twalk <= 16 names, Tread and Treaddir clamped to msize, fids <= maxFids, open fids <=
//     maxOpen, log lines per session bounded (ninep-log.ts).
// A synchronous filesystem gets synchronous replies (no Promise); an asynchronous one gets
// Promises (ninep-steps.ts). Tflush is answered at once: a request still waiting on an
// asynchronous filesystem completes and is answered as well (flush(5) lets the client
// ignore that reply), and with a synchronous one nothing is ever pending.
// Saved state (ninep-state.ts) is the session's msize and its fids by path, never inodes.
import type { NinepContext } from "./ninep-context.js";
import { decodeRequest } from "./ninep-decode.js";
import { EINVAL, EIO, EMSGSIZE, EOPNOTSUPP, EPROTO, EROFS, FsError } from "./ninep-errno.js";
import { FidTable } from "./ninep-fids.js";
import { isPromise, type NinepFs } from "./ninep-fs.js";
import { BoundedLog } from "./ninep-log.js";
import { clunk, fsync, getlock, lcreate, lock, lopen, read, release, write } from "./ninep-ops-io.js";
import { link, mkdir, mknod, remove, rename, renameat, symlink, unlinkat } from "./ninep-ops-tree.js";
import { attach, getattr, readlink, setattr, statfs, walk } from "./ninep-ops-walk.js";
import { readdir } from "./ninep-readdir.js";
import { rempty, rlerror, rversion } from "./ninep-replies.js";
import { WRITE_OPS, type Request } from "./ninep-requests.js";
import { MSG, VERSION_9P2000_L, VERSION_UNKNOWN } from "./ninep-spec.js";
import { plainSession, readSession, restoreFids, saveSession } from "./ninep-state.js";
import { runSteps, type Steps } from "./ninep-steps.js";
import type { PlainData, StateReader } from "../../snapshot/state-reader.js";

/** The largest msize offered: Linux's virtio transport tops out just under it (125 pages). */
export const MAX_MSIZE = 512 * 1024;
/** The smallest msize accepted: Linux's own floor, room for every fixed-size reply. */
export const MIN_MSIZE = 4096;
/** Fids per session: a guest with a warm dentry cache holds one per cached file (~600 bytes each here). */
export const MAX_FIDS = 16384;
/**
 * Fids open for I/O at once: as many as there may be fids. Linux's v9fs with cache=loose keeps
 * one open per file it has written, so a lower bound breaks creating many files; a memory or
 * OPFS share holds nothing of the host's per open, and a filesystem that does (a host
 * directory's descriptors) lowers it with NinepFs.maxOpen.
 */
export const MAX_OPEN = MAX_FIDS;

export interface NinepServerOptions {
  /** Answer EROFS to every request that would change the share. */
  readOnly?: boolean;
  /** Where the server's (bounded) log lines go. */
  log?: (message: string) => void;
  /** Lower limits, for tests and small machines (each at most its constant above). */
  maxMsize?: number;
  maxFids?: number;
  maxOpen?: number;
}

/** Plain data for the inspector and tests. */
export interface NinepServerStats {
  /** 0 before Tversion and after reset(). */
  msize: number;
  fids: number;
  openFids: number;
  requests: number;
  errors: number;
}

export class NinepServer {
  readonly readOnly: boolean;
  private readonly maxMsize: number;
  private readonly maxFids: number;
  private readonly maxOpen: number;
  private readonly logger: BoundedLog;
  private session: NinepContext | undefined;
  /** A restore still resolving fids on an asynchronous filesystem: requests wait for it. */
  private restoring: Promise<void> | undefined;
  /** What that restore restores: saved again as it is if a save comes first. */
  private restoringState: PlainData = null;
  private requests = 0;
  private errors = 0;

  constructor(private readonly fs: NinepFs, options: NinepServerOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    this.maxMsize = bounded(options.maxMsize, MIN_MSIZE, MAX_MSIZE);
    this.maxFids = bounded(options.maxFids, 1, MAX_FIDS);
    this.maxOpen = Math.min(bounded(options.maxOpen, 1, MAX_OPEN), bounded(fs.maxOpen, 1, MAX_OPEN));
    this.logger = new BoundedLog(options.log);
  }

  /**
   * The reply to one T-message, at most min(msize, replyRoom) bytes (`replyRoom`: the writable
   * bytes of the device's chain; Tread and Treaddir shorten their data to fit it). Never
   * throws; the Promise (asynchronous filesystems only) never rejects. `replyBuffer`, lent by
   * a caller that copies each reply out before it lends the buffer again (the device), is
   * where a Tread is read into: that reply is then a view of it, and no buffer is allocated.
   */
  handle(request: Uint8Array, replyRoom = Number.POSITIVE_INFINITY, replyBuffer?: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const restoring = this.restoring;
    if (restoring !== undefined) return restoring.then(() => this.handle(request, replyRoom, replyBuffer));
    this.requests++;
    const session = this.session;
    const decoded = decodeRequest(request, session?.msize ?? this.maxMsize);
    if (!decoded.ok) {
      this.logger.log(`9p: refused a message (type ${decoded.type}, tag ${decoded.tag}): ${decoded.reason}`);
      return this.error(decoded.tag, decoded.errno);
    }
    const { tag, request: req } = decoded;
    // Rversion too must fit the device's buffer (room under 21 bytes: EMSGSIZE).
    if (req.op === "version") return this.fit(Math.max(0, Math.floor(replyRoom)), tag, this.version(tag, req.msize, req.version));
    if (session === undefined) {
      this.logger.log(`9p: T${req.op} before Tversion refused`);
      return this.error(tag, EPROTO);
    }
    if (this.readOnly && WRITE_OPS.has(req.op)) return this.error(tag, EROFS);
    const room = Math.min(session.msize, Math.max(0, Math.floor(replyRoom)));
    try {
      const reply = runSteps(steps(session, req, tag, room, replyBuffer));
      if (isPromise(reply)) return reply.then((r) => this.fit(room, tag, r), (err: unknown) => this.failure(tag, req.op, err));
      return this.fit(room, tag, reply);
    } catch (err) {
      return this.failure(tag, req.op, err);
    }
  }

  /** Drops every fid (the device calls this on a virtio reset): the next request must be Tversion. */
  reset(): void {
    this.endSession();
  }

  /** The session as plain data (ninep-state.ts): msize and every fid by its path. */
  saveState(): PlainData {
    if (this.restoring !== undefined) return this.restoringState;
    return saveSession(this.session);
  }

  /**
   * Replaces the session with a saved one. A bad state throws, naming the field, and changes
   * nothing. Fids are found again by their paths (synchronously with a synchronous
   * filesystem; otherwise requests wait until they are); a fid whose file is gone answers
   * ESTALE.
   */
  restoreState(state: StateReader): void {
    const saved = readSession(state, { minMsize: MIN_MSIZE, maxMsize: this.maxMsize, maxFids: this.maxFids, maxOpen: this.maxOpen });
    this.endSession();
    if (saved === null) return;
    const session = this.newSession(saved.msize);
    const done = runSteps(restoreFids(session, saved));
    if (!isPromise(done)) return;
    const restoring = done.then(() => undefined, (err: unknown) => this.logger.log(`9p: restoring fids failed: ${String(err)}`))
      .finally(() => {
        if (this.restoring === restoring) this.restoring = undefined;
      });
    this.restoring = restoring;
    this.restoringState = plainSession(saved);
  }

  stats(): NinepServerStats {
    return {
      msize: this.session?.msize ?? 0,
      fids: this.session?.fids.size ?? 0,
      openFids: this.session?.fids.openCount ?? 0,
      requests: this.requests,
      errors: this.errors,
    };
  }

  /**
   * Tversion (version(5)) ends the session in any case. "9P2000.L" starts a new one with
   * msize the smaller of the client's and ours (EINVAL under MIN_MSIZE); any other version
   * is answered "unknown" and leaves no session.
   */
  private version(tag: number, msize: number, version: Uint8Array): Uint8Array {
    this.endSession();
    const offered = Math.min(msize, this.maxMsize);
    const asked = new TextDecoder().decode(version);
    if (asked !== VERSION_9P2000_L) {
      this.logger.log(`9p: Tversion "${asked}" is not 9P2000.L: answered "unknown", no session`);
      return rversion(tag, offered, VERSION_UNKNOWN);
    }
    if (offered < MIN_MSIZE) {
      this.logger.log(`9p: Tversion msize ${msize} is under the least this server accepts (${MIN_MSIZE}): EINVAL`);
      return this.error(tag, EINVAL);
    }
    // Once a session: the limit is why a guest asking for more gets less, worth a line.
    if (msize > offered) this.logger.log(`9p: the guest asked for msize ${msize}; the server's limit is ${offered}`);
    this.newSession(offered);
    return rversion(tag, offered, VERSION_9P2000_L);
  }

  private newSession(msize: number): NinepContext {
    const log = (message: string) => this.logger.log(message);
    this.session = { fs: this.fs, fids: new FidTable(this.maxFids, this.maxOpen), msize, readOnly: this.readOnly, log };
    return this.session;
  }

  private endSession(): void {
    const ended = this.session;
    this.session = undefined;
    this.restoring = undefined;
    this.logger.newSession();
    if (ended === undefined) return;
    for (const fid of ended.fids.end()) {
      // Releases of an asynchronous filesystem finish later; their failures are logged.
      try {
        const done = runSteps(release(ended, fid.ino));
        if (isPromise(done)) done.catch(() => undefined);
      } catch {
        // release() logs and never throws.
      }
    }
  }

  /**
   * `reply` if it fits in `room` (msize, or less when the device's buffer is smaller): else
   * Rlerror EMSGSIZE, logged. Only a reply that cannot be shortened meets this (an Rreadlink
   * of a long target, an Rgetattr into a tiny buffer).
   */
  private fit(room: number, tag: number, reply: Uint8Array): Uint8Array {
    if (reply.length <= room) return reply;
    this.logger.log(`9p: a reply of ${reply.length} bytes does not fit in ${room}: EMSGSIZE`);
    return this.error(tag, EMSGSIZE);
  }

  private failure(tag: number, op: string, err: unknown): Uint8Array {
    if (err instanceof FsError && Number.isInteger(err.errno) && err.errno > 0 && err.errno < 4096) return this.error(tag, err.errno);
    this.logger.log(`9p: T${op} failed: ${String(err)}`);
    return this.error(tag, EIO);
  }

  private error(tag: number, errno: number): Uint8Array {
    this.errors++;
    return rlerror(tag, errno);
  }
}

function bounded(value: number | undefined, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return max;
  return Math.max(min, Math.min(max, Math.floor(value)));
}

/** The handler for `req`. Auth and extended attributes are not offered: EOPNOTSUPP. */
function steps(ctx: NinepContext, req: Request, tag: number, room: number, replyBuffer: Uint8Array | undefined): Steps<Uint8Array> {
  switch (req.op) {
    case "attach": return attach(ctx, req, tag);
    case "walk": return walk(ctx, req, tag);
    case "getattr": return getattr(ctx, req, tag);
    case "setattr": return setattr(ctx, req, tag);
    case "statfs": return statfs(ctx, req, tag);
    case "readlink": return readlink(ctx, req, tag);
    case "lopen": return lopen(ctx, req, tag);
    case "lcreate": return lcreate(ctx, req, tag);
    case "read": return read(ctx, req, tag, room, replyBuffer);
    case "write": return write(ctx, req, tag);
    case "readdir": return readdir(ctx, req, tag, room);
    case "clunk": return clunk(ctx, req, tag);
    case "fsync": return fsync(ctx, req, tag);
    case "lock": return lock(ctx, req, tag);
    case "getlock": return getlock(ctx, req, tag);
    case "mkdir": return mkdir(ctx, req, tag);
    case "symlink": return symlink(ctx, req, tag);
    case "mknod": return mknod(ctx, req, tag);
    case "link": return link(ctx, req, tag);
    case "rename": return rename(ctx, req, tag);
    case "renameat": return renameat(ctx, req, tag);
    case "unlinkat": return unlinkat(ctx, req, tag);
    case "remove": return remove(ctx, req, tag);
    case "flush": return reply(rempty(MSG.Tflush + 1, tag));
    case "version": case "auth": case "xattrwalk": case "xattrcreate": return refused(EOPNOTSUPP);
  }
}

function* reply(bytes: Uint8Array): Steps<Uint8Array> {
  return bytes;
}

function* refused(errno: number): Steps<Uint8Array> {
  throw new FsError(errno);
}
