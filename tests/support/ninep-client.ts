// A 9P2000.L client for tests, written from the protocol description (diod's protocol.md,
// the Plan 9 manual section 5; message numbers from Linux's include/net/9p/9p.h), not from the
// server's codec. Every method sends one real T-message with a fresh tag, checks the reply's
// frame (size field = length, tag echoed, type T+1 or Rlerror) and every field's bounds, and
// returns the fields or the Rlerror's errno. `sync` clients demand a synchronous reply (the
// memory filesystem gives one); `async` clients await it.
import { Fields, frame, message, type Field, type Qid } from "./ninep-wire-test.js";

export const T = {
  statfs: 8, lopen: 12, lcreate: 14, symlink: 16, mknod: 18, rename: 20, readlink: 22, getattr: 24, setattr: 26,
  xattrwalk: 30, xattrcreate: 32, readdir: 40, fsync: 50, lock: 52, getlock: 54, link: 70, mkdir: 72, renameat: 74,
  unlinkat: 76, version: 100, auth: 102, attach: 104, flush: 108, walk: 110, read: 116, write: 118, clunk: 120, remove: 122,
} as const;
export const RLERROR = 7;
export const NOFID = 0xffffffff;

export type Reply<R> = ({ ok: true } & R) | { ok: false; errno: number };
type Mode = "sync" | "async";
type Out<M extends Mode, R> = M extends "sync" ? Reply<R> : Promise<Reply<R>>;

export interface Server {
  handle(request: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface Attr {
  valid: bigint; qid: Qid; mode: number; uid: number; gid: number; nlink: bigint; rdev: bigint; size: bigint;
  blksize: bigint; blocks: bigint; atime: [bigint, bigint]; mtime: [bigint, bigint]; ctime: [bigint, bigint];
  btime: [bigint, bigint]; gen: bigint; dataVersion: bigint;
}
export interface Dirent { qid: Qid; offset: bigint; type: number; name: string }
export interface Statfs { type: number; bsize: number; blocks: bigint; bfree: bigint; bavail: bigint; files: bigint; ffree: bigint; fsid: bigint; namelen: number }
export interface SetattrArgs { valid: number; mode?: number; uid?: number; gid?: number; size?: bigint | number; atime?: [bigint | number, number]; mtime?: [bigint | number, number] }

/** Checks a reply's frame against the request; throws (failing the test) if malformed. */
export function checkFrame(reply: Uint8Array, type: number, tag: number): { ok: true; body: Fields } | { ok: false; errno: number } {
  const f = frame(reply);
  if (f.tag !== tag) throw new Error(`reply tag ${f.tag} to tag ${tag}`);
  const body = new Fields(reply);
  if (f.type === RLERROR) {
    const errno = body.u32();
    body.end();
    return { ok: false, errno };
  }
  if (f.type !== type + 1) throw new Error(`reply type ${f.type} to type ${type}`);
  return { ok: true, body };
}

export class NinepClient<M extends Mode = "sync"> {
  private nextTag = 1;

  constructor(readonly server: Server, private readonly mode: M = "sync" as M) {}

  /** Sends `type` with `fields` and reads the reply's fields with `read` (which must read them all). */
  call<R extends object>(type: number, fields: Field[], read: (f: Fields) => R): Out<M, R> {
    const tag = this.nextTag;
    this.nextTag = (this.nextTag % 0xfffe) + 1;
    const parse = (reply: Uint8Array): Reply<R> => {
      const r = checkFrame(reply, type, tag);
      if (!r.ok) return r;
      const out = read(r.body);
      r.body.end();
      return { ok: true, ...out };
    };
    const reply = this.server.handle(message(type, tag, fields));
    if (this.mode === "async") return Promise.resolve(reply).then(parse) as Out<M, R>;
    if (reply instanceof Promise) throw new Error("a synchronous filesystem gave an asynchronous reply");
    return parse(reply) as Out<M, R>;
  }

  version(msize = 65536, version = "9P2000.L") {
    return this.call(T.version, [["u32", msize], ["s", version]], (f) => ({ msize: f.u32(), version: f.str() }));
  }
  auth(afid: number, uname = "", aname = "", nUname = 0) {
    return this.call(T.auth, [["u32", afid], ["s", uname], ["s", aname], ["u32", nUname]], (f) => ({ aqid: f.qid() }));
  }
  attach(fid: number, nUname = 0, uname = "", aname = "", afid = NOFID) {
    return this.call(T.attach, [["u32", fid], ["u32", afid], ["s", uname], ["s", aname], ["u32", nUname]], (f) => ({ qid: f.qid() }));
  }
  flush(oldtag: number) {
    return this.call(T.flush, [["u16", oldtag]], () => ({}));
  }
  walk(fid: number, newfid: number, names: (string | Uint8Array)[]) {
    return this.call(T.walk, [["u32", fid], ["u32", newfid], ["u16", names.length], ...names.map((n): Field => ["s", n])], (f) => {
      const qids: Qid[] = [];
      for (let n = f.u16(); n > 0; n--) qids.push(f.qid());
      return { qids };
    });
  }
  lopen(fid: number, flags: number) {
    return this.call(T.lopen, [["u32", fid], ["u32", flags]], (f) => ({ qid: f.qid(), iounit: f.u32() }));
  }
  lcreate(fid: number, name: string | Uint8Array, flags: number, mode: number, gid = 0) {
    return this.call(T.lcreate, [["u32", fid], ["s", name], ["u32", flags], ["u32", mode], ["u32", gid]], (f) => ({ qid: f.qid(), iounit: f.u32() }));
  }
  read(fid: number, offset: bigint | number, count: number) {
    return this.call(T.read, [["u32", fid], ["u64", offset], ["u32", count]], (f) => ({ data: f.data(f.u32()) }));
  }
  write(fid: number, offset: bigint | number, data: Uint8Array | string) {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.call(T.write, [["u32", fid], ["u64", offset], ["u32", bytes.length], ["raw", bytes]], (f) => ({ count: f.u32() }));
  }
  clunk(fid: number) {
    return this.call(T.clunk, [["u32", fid]], () => ({}));
  }
  remove(fid: number) {
    return this.call(T.remove, [["u32", fid]], () => ({}));
  }
  getattr(fid: number, mask: bigint = 0x3fffn) {
    return this.call(T.getattr, [["u32", fid], ["u64", mask]], (f): Attr => ({
      valid: f.u64(), qid: f.qid(), mode: f.u32(), uid: f.u32(), gid: f.u32(), nlink: f.u64(), rdev: f.u64(), size: f.u64(),
      blksize: f.u64(), blocks: f.u64(), atime: [f.i64(), f.u64()], mtime: [f.i64(), f.u64()], ctime: [f.i64(), f.u64()],
      btime: [f.u64(), f.u64()], gen: f.u64(), dataVersion: f.u64(),
    }));
  }
  setattr(fid: number, a: SetattrArgs) {
    return this.call(T.setattr, [
      ["u32", fid], ["u32", a.valid], ["u32", a.mode ?? 0], ["u32", a.uid ?? 0], ["u32", a.gid ?? 0], ["u64", a.size ?? 0],
      ["u64", a.atime?.[0] ?? 0], ["u64", a.atime?.[1] ?? 0], ["u64", a.mtime?.[0] ?? 0], ["u64", a.mtime?.[1] ?? 0],
    ], () => ({}));
  }
  readdir(fid: number, offset: bigint | number, count: number) {
    return this.call(T.readdir, [["u32", fid], ["u64", offset], ["u32", count]], (f) => {
      const bytes = f.u32();
      const entries = parseDirents(f.data(bytes));
      return { bytes, entries };
    });
  }
  statfs(fid: number) {
    return this.call(T.statfs, [["u32", fid]], (f): Statfs => ({
      type: f.u32(), bsize: f.u32(), blocks: f.u64(), bfree: f.u64(), bavail: f.u64(), files: f.u64(), ffree: f.u64(), fsid: f.u64(), namelen: f.u32(),
    }));
  }
  fsync(fid: number, datasync = 0) {
    return this.call(T.fsync, [["u32", fid], ["u32", datasync]], () => ({}));
  }
  mkdir(dfid: number, name: string | Uint8Array, mode = 0o755, gid = 0) {
    return this.call(T.mkdir, [["u32", dfid], ["s", name], ["u32", mode], ["u32", gid]], (f) => ({ qid: f.qid() }));
  }
  renameat(oldDirFid: number, oldName: string, newDirFid: number, newName: string) {
    return this.call(T.renameat, [["u32", oldDirFid], ["s", oldName], ["u32", newDirFid], ["s", newName]], () => ({}));
  }
  rename(fid: number, dfid: number, name: string) {
    return this.call(T.rename, [["u32", fid], ["u32", dfid], ["s", name]], () => ({}));
  }
  unlinkat(dirFid: number, name: string | Uint8Array, flags = 0) {
    return this.call(T.unlinkat, [["u32", dirFid], ["s", name], ["u32", flags]], () => ({}));
  }
  symlink(fid: number, name: string, target: string | Uint8Array, gid = 0) {
    return this.call(T.symlink, [["u32", fid], ["s", name], ["s", target], ["u32", gid]], (f) => ({ qid: f.qid() }));
  }
  readlink(fid: number) {
    return this.call(T.readlink, [["u32", fid]], (f) => ({ target: f.str() }));
  }
  link(dfid: number, fid: number, name: string) {
    return this.call(T.link, [["u32", dfid], ["u32", fid], ["s", name]], () => ({}));
  }
  mknod(dfid: number, name: string, mode: number, major = 0, minor = 0, gid = 0) {
    return this.call(T.mknod, [["u32", dfid], ["s", name], ["u32", mode], ["u32", major], ["u32", minor], ["u32", gid]], (f) => ({ qid: f.qid() }));
  }
  xattrwalk(fid: number, newfid: number, name: string) {
    return this.call(T.xattrwalk, [["u32", fid], ["u32", newfid], ["s", name]], (f) => ({ size: f.u64() }));
  }
  xattrcreate(fid: number, name: string, size: number, flags = 0) {
    return this.call(T.xattrcreate, [["u32", fid], ["s", name], ["u64", size], ["u32", flags]], () => ({}));
  }
  lock(fid: number, type: number, start = 0, length = 0, procId = 1, clientId = "guest") {
    return this.call(T.lock, [["u32", fid], ["u8", type], ["u32", 0], ["u64", start], ["u64", length], ["u32", procId], ["s", clientId]], (f) => ({ status: f.u8() }));
  }
  getlock(fid: number, type: number, start = 0, length = 0, procId = 1, clientId = "guest") {
    return this.call(T.getlock, [["u32", fid], ["u8", type], ["u64", start], ["u64", length], ["u32", procId], ["s", clientId]], (f) => ({
      type: f.u8(), start: f.u64(), length: f.u64(), procId: f.u32(), clientId: f.str(),
    }));
  }
}

/** Rreaddir's data: qid[13] offset[8] type[1] name[s], to the last byte. */
export function parseDirents(data: Uint8Array): Dirent[] {
  const withHeader = new Uint8Array(7 + data.length);
  withHeader.set(data, 7);
  const f = new Fields(withHeader);
  const out: Dirent[] = [];
  while (f.remaining > 0) out.push({ qid: f.qid(), offset: f.u64(), type: f.u8(), name: f.str() });
  return out;
}
