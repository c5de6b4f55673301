// A 9P session as saved state: msize, version, and every fid by its path from the share's
// root (Fid.path, ninep-paths.ts), its user and its open mode; never an inode number, which
// means nothing to the filesystem a restored machine runs against. Restoring reads the whole
// state first (a bad field throws, naming it, before anything changes), then resolves each
// path by looking its names up from the root and reopens what was open. A fid whose file
// is gone (or no longer opens) stays in the table, stale: every use answers ESTALE and a
// clunk removes it, as Linux's v9fs expects of a server that lost a file.
import type { PlainData, StateReader } from "../../snapshot/state-reader.js";
import { addFid, type NinepContext } from "./ninep-context.js";
import { FsError } from "./ninep-errno.js";
import type { Fid } from "./ninep-fids.js";
import type { FsAttr, MaybePromise } from "./ninep-fs.js";
import { release } from "./ninep-ops-io.js";
import { VERSION_9P2000_L } from "./ninep-spec.js";
import { wait, type Steps } from "./ninep-steps.js";
import { Malformed, name as checkName, utf8Bytes } from "./ninep-wire.js";

/** The longest saved path, in characters (deeper than any PATH_MAX, as a fid may be). */
export const MAX_SAVED_PATH_CHARS = 65536;
/** Names looked up to restore one session at most: bounds the work a state file can ask. */
export const MAX_SAVED_NAMES = 1 << 20;

export interface SavedFid {
  fid: number;
  uid: number;
  /** Undefined: the fid's file had lost its name when saved. */
  path: string | undefined;
  open: { read: boolean; write: boolean } | undefined;
}

export interface SavedSession {
  msize: number;
  fids: SavedFid[];
}

const OPEN_MODES = ["r", "w", "rw"] as const;

export function saveSession(ctx: NinepContext | undefined): PlainData {
  if (ctx === undefined) return { session: null };
  const fids: SavedFid[] = [];
  for (const [fid, f] of ctx.fids.entries()) fids.push({ fid, uid: f.uid, path: f.stale ? undefined : f.path, open: f.open });
  return plainSession({ msize: ctx.msize, fids });
}

/** A session as plain data (also what a restore still finding its fids saves again). */
export function plainSession(saved: SavedSession): PlainData {
  const fids = saved.fids.map(({ fid, uid, path, open }) => {
    const mode = open === undefined ? null : open.read && open.write ? "rw" : open.write ? "w" : "r";
    return { fid, uid, path: path ?? null, open: mode };
  });
  return { session: { version: VERSION_9P2000_L, msize: saved.msize, fids } };
}

/** The saved session (null: none), every field checked against these limits. */
export function readSession(state: StateReader, limits: { minMsize: number; maxMsize: number; maxFids: number; maxOpen: number }): SavedSession | null {
  state.onlyFields(["session"]);
  const session = state.field("session");
  if (session.isNull()) return null;
  session.onlyFields(["version", "msize", "fids"]);
  session.field("version").oneOf([VERSION_9P2000_L]);
  const msize = session.field("msize").integer(limits.minMsize, limits.maxMsize);
  const seen = new Set<number>();
  let opens = 0;
  let names = 0;
  const fids = session.field("fids").items(limits.maxFids).map((item): SavedFid => {
    item.onlyFields(["fid", "uid", "path", "open"]);
    const fidField = item.field("fid");
    const fid = fidField.uint32();
    if (seen.has(fid)) fidField.fail("a fid number not used by another fid");
    seen.add(fid);
    const uid = item.field("uid").uint32();
    const pathField = item.field("path");
    const path = pathField.nullable((r) => checkedPath(r));
    names += path === null || path === "" ? 0 : path.split("/").length;
    if (names > MAX_SAVED_NAMES) pathField.fail(`a path (all paths together hold at most ${MAX_SAVED_NAMES} names)`);
    const openField = item.field("open");
    const mode = openField.nullable((r) => r.oneOf(OPEN_MODES));
    if (mode !== null && ++opens > limits.maxOpen) openField.fail(`null (at most ${limits.maxOpen} fids open)`);
    const open = mode === null ? undefined : { read: mode !== "w", write: mode !== "r" };
    return { fid, uid, path: path ?? undefined, open };
  });
  return { msize, fids };
}

/** A path of names as the codec accepts them ('/'-joined; "" is the root). */
function checkedPath(r: StateReader): string {
  const path = r.string(MAX_SAVED_PATH_CHARS);
  if (path === "") return path;
  for (const part of path.split("/")) {
    try {
      if (checkName(utf8Bytes(part), "name") !== part) throw new Malformed(0, "not UTF-8");
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      r.fail(`a path of names from the share's root joined by '/' (${err.reason})`);
    }
  }
  return path;
}

/**
 * Puts the saved fids in `ctx`'s (new, empty) table, stale until resolved, then resolves
 * them: the Steps finish synchronously with a synchronous filesystem. A reset meanwhile
 * ends the table, and opens that finish after it are released (markOpen says "gone").
 */
export function* restoreFids(ctx: NinepContext, saved: SavedSession): Steps<void> {
  const entries = saved.fids.map((s) => {
    const entry: Fid = { ino: ctx.fs.root, uid: s.uid, parent: undefined, name: undefined, open: undefined, path: s.path, stale: true };
    addFid(ctx, s.fid, entry);
    return { s, entry };
  });
  const found = new Map<string, FsAttr | undefined>();
  let lost = 0;
  for (const { s, entry } of entries) {
    if (!(yield* resolveFid(ctx, found, s, entry))) lost++;
  }
  if (lost > 0) ctx.log(`9p: restored ${entries.length} fids; ${lost} no longer found or opened (ESTALE)`);
}

function* resolveFid(ctx: NinepContext, found: Map<string, FsAttr | undefined>, s: SavedFid, entry: Fid): Steps<boolean> {
  if (s.path === undefined) return false;
  const at = yield* lookupPath(ctx, found, s.path);
  if (at === undefined) return false;
  const { attr, parent } = at;
  Object.assign(entry, { ino: attr.ino, parent: parent?.ino, name: parent === undefined ? undefined : s.path.slice(s.path.lastIndexOf("/") + 1) });
  if (s.open !== undefined) {
    try {
      yield* wait(ctx.fs.open(attr.ino, { ...s.open, truncate: false }));
    } catch (err) {
      if (!(err instanceof FsError)) ctx.log(`9p: reopening a restored fid failed: ${String(err)}`);
      return false;
    }
    if (ctx.fids.markOpen(s.fid, entry, s.open) !== "opened") {
      yield* release(ctx, attr.ino);
      return false;
    }
  }
  entry.stale = false;
  return true;
}

/**
 * The file at `path` and the directory holding it (undefined if any name is gone), looked up
 * name by name from the root; `found` remembers each (directory, name) so fids sharing a
 * prefix cost one lookup per name between them, and its keys stay short whatever the depth.
 */
function* lookupPath(ctx: NinepContext, found: Map<string, FsAttr | undefined>, path: string): Steps<{ attr: FsAttr; parent: FsAttr | undefined } | undefined> {
  let attr = yield* cached(found, "", () => ctx.fs.getattr(ctx.fs.root), ctx);
  let parent: FsAttr | undefined;
  for (const part of path === "" ? [] : path.split("/")) {
    if (attr === undefined) return undefined;
    const dir: FsAttr = attr;
    parent = dir;
    attr = yield* cached(found, `${dir.ino}/${part}`, () => ctx.fs.lookup(dir.ino, part), ctx);
  }
  return attr === undefined ? undefined : { attr, parent };
}

function* cached(found: Map<string, FsAttr | undefined>, key: string, look: () => MaybePromise<FsAttr>, ctx: NinepContext): Steps<FsAttr | undefined> {
  if (found.has(key)) return found.get(key);
  let attr: FsAttr | undefined;
  try {
    attr = yield* wait(look());
  } catch (err) {
    if (!(err instanceof FsError)) ctx.log(`9p: looking up a restored fid's path failed: ${String(err)}`);
  }
  found.set(key, attr);
  return attr;
}
