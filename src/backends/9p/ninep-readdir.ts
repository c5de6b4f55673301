// Treaddir (diod's protocol.md, "readdir"): entries qid[13] offset[8] type[1] name[s], at most
// `count` bytes of them (never more than msize or the device's buffer allows), each entry's offset being what the
// client sends next to continue after it. The server adds "." (offset 1) and ".." (offset 2)
// itself, as a directory listing has them and the filesystem interface does not; a
// filesystem cookie c is offset c + 2 on the wire. The work per request is bounded: the
// filesystem is asked for at most as many entries as the smallest entries (25 bytes) would
// fit in count.
import { fidOf, maxData, refuse, type NinepContext } from "./ninep-context.js";
import { EBADF, EINVAL, ENOTDIR } from "./ninep-errno.js";
import type { FsAttr } from "./ninep-fs.js";
import type { RequestOf } from "./ninep-requests.js";
import { direntType, QID_BYTES, S_IFDIR, S_IFMT } from "./ninep-spec.js";
import { readdirEntryBytes, rreaddir, type ReaddirEntry } from "./ninep-replies.js";
import { wait, type Steps } from "./ninep-steps.js";
import { utf8Bytes } from "./ninep-wire.js";

/** qid, offset, type, the name's length and one byte of name. */
const SMALLEST_ENTRY = QID_BYTES + 8 + 1 + 2 + 1;
const DOT = utf8Bytes(".");
const DOTDOT = utf8Bytes("..");
/** Wire offsets 1 and 2 are after "." and ".."; a filesystem cookie starts after them. */
const FIRST_COOKIE_OFFSET = 2;

/**
 * Order of refusals: EBADF (no fid, or not open), ENOTDIR, then EINVAL when count cannot
 * hold the next entry (getdents(2) says the same). A directory that has been removed
 * lists nothing, not even "." and "..".
 */
export function* readdir(ctx: NinepContext, req: RequestOf<"readdir">, tag: number, room: number): Steps<Uint8Array> {
  const fid = fidOf(ctx, req.fid);
  if (fid.open === undefined) refuse(EBADF);
  const count = Math.min(req.count, maxData(room));
  const out = new Listing(count);
  let offset = req.offset;
  if (offset < FIRST_COOKIE_OFFSET) {
    const self = yield* wait(ctx.fs.getattr(fid.ino));
    if ((self.mode & S_IFMT) !== S_IFDIR) refuse(ENOTDIR);
    if (self.nlink === 0) return rreaddir(tag, [], 0);
    if (offset === 0 && !out.add(DOT, self, 1)) return out.reply(tag);
    const parent: FsAttr = fid.ino === ctx.fs.root ? self : yield* wait(ctx.fs.parent(fid.ino));
    if (!out.add(DOTDOT, parent, 2)) return out.reply(tag);
    offset = FIRST_COOKIE_OFFSET;
  }
  // With nothing listed yet, ask for one entry even if none could fit: an empty reply would
  // tell the client the directory ended.
  const max = out.empty ? Math.max(1, Math.floor(out.room / SMALLEST_ENTRY)) : Math.floor(out.room / SMALLEST_ENTRY);
  if (max === 0) return out.reply(tag);
  const entries = yield* wait(ctx.fs.readdir(fid.ino, offset - FIRST_COOKIE_OFFSET, max));
  for (const e of entries.slice(0, max)) {
    if (!out.add(utf8Bytes(e.name), e, e.cookie + FIRST_COOKIE_OFFSET)) break;
  }
  return out.reply(tag);
}

/** Entries gathered for one Rreaddir, never more than `count` bytes. */
class Listing {
  private readonly entries: ReaddirEntry[] = [];
  private bytes = 0;
  /** True once an entry did not fit while none had: count is too small to make progress. */
  private stuck = false;

  constructor(private readonly count: number) {}

  get empty(): boolean {
    return this.entries.length === 0;
  }

  get room(): number {
    return this.count - this.bytes;
  }

  /** Adds an entry if it fits; false (stop listing) when it does not. */
  add(name: Uint8Array, of: { ino: number; mode: number }, offset: number): boolean {
    const entry = { name, ino: of.ino, mode: of.mode, offset, type: direntType(of.mode) };
    const size = readdirEntryBytes(entry);
    if (size > this.room) {
      this.stuck = this.entries.length === 0;
      return false;
    }
    this.entries.push(entry);
    this.bytes += size;
    return true;
  }

  reply(tag: number): Uint8Array {
    if (this.stuck) refuse(EINVAL);
    return rreaddir(tag, this.entries, this.bytes);
  }
}
