// What the OPFS cannot keep, kept beside the files: modes, owners, times and symlinks, by path
// from the share's root, in one JSON sidecar file at the root (META_NAME, which the guest never
// sees and cannot create). Only what differs from a plain file's defaults is stored, so a share
// the page fills with dropped files has an almost empty sidecar.
//
// The sidecar is rewritten whole as soon as the worker is free after a change (SAVE_DELAY_MS;
// a burst of changes shares one write) and on flush(): a crash or a reload loses at most the
// changes of that moment, never file contents (those are written through). It was 500 ms:
// a page reloaded right after a chmod lost the mode (full test runs showed it).
// A page reload ends the worker wherever it is, perhaps inside a rewrite: so the spare copy
// (META_SPARE_NAME) is written whole first and the sidecar after it, and a sidecar that
// does not parse is read from the spare. The next page's worker may also find the sidecar
// still held by the previous one: it waits for it (openSyncHandle) rather than starting
// afresh, which would have written an empty table over the real one.
import { opfsErrno, openSyncHandle, type OpfsDirHandle } from "./opfs-handles.js";

export const META_NAME = ".ringside-meta.json";
export const META_SPARE_NAME = ".ringside-meta.spare.json";

/** Whether a name in the share's root is one of the sidecar's files (the guest never sees them). */
export function isMetaName(name: string): boolean {
  return name === META_NAME || name === META_SPARE_NAME;
}
export const SAVE_DELAY_MS = 0;
/** The sidecar's format: bump it when a field changes meaning. */
const META_VERSION = 1;

export type Time = [sec: number, nsec: number];

/** Milliseconds since 1970 as the sidecar's [sec, nsec]. */
export function time(ms: number): Time {
  const sec = Math.floor(ms / 1000);
  return [sec, Math.floor((ms - sec * 1000) * 1e6)];
}

export interface MetaEntry {
  /** Type and permission bits, when not the default (0o100644 files, 0o40755 folders). */
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: Time;
  /**
   * A file's: set by setattr, dropped by a later write (the file's own lastModified is then
   * newer). A folder's: its last change (the OPFS keeps no times for folders).
   */
  mtime?: Time;
  ctime?: Time;
  /** A symlink's target: symlinks exist only here (the OPFS has none). */
  target?: string;
}

export class ShareMeta {
  private entries = new Map<string, MetaEntry>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly root: OpfsDirHandle, private readonly saveDelayMs: number) {}

  /** Reads the sidecar (a missing or unreadable one is an empty table, said through `log`). */
  static async load(root: OpfsDirHandle, log: (m: string) => void, saveDelayMs = SAVE_DELAY_MS): Promise<ShareMeta> {
    const meta = new ShareMeta(root, saveDelayMs);
    const problems: string[] = [];
    for (const name of [META_NAME, META_SPARE_NAME]) {
      const entries = await readTable(root, name, problems);
      if (entries === undefined) continue;
      meta.entries = entries;
      if (problems.length > 0) log(`shared folder: ${problems.join("; ")}; read the spare copy ${META_SPARE_NAME}`);
      return meta;
    }
    if (problems.length > 0) log(`shared folder: ${problems.join("; ")}; modes, owners and symlinks start afresh`);
    return meta;
  }

  get(path: string): MetaEntry | undefined {
    return this.entries.get(path);
  }

  /** Merges `patch` into the entry of `path` (undefined fields are deleted). */
  update(path: string, patch: MetaEntry): void {
    const next: MetaEntry = { ...this.entries.get(path), ...patch };
    for (const k of Object.keys(next) as (keyof MetaEntry)[]) if (next[k] === undefined) delete next[k];
    if (Object.keys(next).length === 0) this.entries.delete(path);
    else this.entries.set(path, next);
    this.changed();
  }

  /** Forgets `path` and everything under it. */
  remove(path: string): void {
    for (const key of [...this.entries.keys()]) if (key === path || key.startsWith(`${path}/`)) this.entries.delete(key);
    this.changed();
  }

  /** `from` and everything under it now live at `to`. */
  move(from: string, to: string): void {
    this.remove(to);
    for (const [key, entry] of [...this.entries]) {
      if (key !== from && !key.startsWith(`${from}/`)) continue;
      this.entries.delete(key);
      this.entries.set(to + key.slice(from.length), entry);
    }
    this.changed();
  }

  /** The symlinks directly in folder `dir` ("" is the root): [name, target]. */
  symlinksIn(dir: string): [string, string][] {
    const prefix = dir === "" ? "" : `${dir}/`;
    const out: [string, string][] = [];
    for (const [key, e] of this.entries) {
      if (e.target === undefined || !key.startsWith(prefix)) continue;
      const name = key.slice(prefix.length);
      if (!name.includes("/")) out.push([name, e.target]);
    }
    return out;
  }

  /** Writes the sidecar now if anything changed; resolves once it is on storage. */
  flush(): Promise<void> {
    if (this.timer === undefined) return this.saving;
    clearTimeout(this.timer);
    this.timer = undefined;
    const json = JSON.stringify({ version: META_VERSION, entries: Object.fromEntries(this.entries) });
    this.saving = this.saving.then(() => this.write(json));
    return this.saving;
  }

  private changed(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.saveDelayMs);
  }

  /** The spare whole first, then the sidecar: at every moment one of the two is complete. */
  private async write(json: string): Promise<void> {
    const bytes = new TextEncoder().encode(json);
    try {
      for (const name of [META_SPARE_NAME, META_NAME]) {
        const handle = await openSyncHandle(await this.root.getFileHandle(name, { create: true }));
        try {
          handle.truncate(0);
          handle.write(bytes, { at: 0 });
          handle.flush();
        } finally {
          handle.close();
        }
      }
    } catch (e) {
      throw opfsErrno(e);
    }
  }
}

/** The table in sidecar file `name`; undefined (and why, unless it is simply absent) when there is none to use. */
async function readTable(root: OpfsDirHandle, name: string, problems: string[]): Promise<Map<string, MetaEntry> | undefined> {
  let text: string;
  try {
    const handle = await openSyncHandle(await root.getFileHandle(name));
    try {
      const bytes = new Uint8Array(handle.getSize());
      handle.read(bytes, { at: 0 });
      text = new TextDecoder().decode(bytes);
    } finally {
      handle.close();
    }
  } catch (e) {
    if (!(e instanceof Error && e.name === "NotFoundError")) problems.push(`cannot read ${name} (${String(e)})`);
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { version?: number; entries?: Record<string, MetaEntry> };
    if (parsed.version !== META_VERSION || typeof parsed.entries !== "object" || parsed.entries === null) throw new Error(`version ${String(parsed.version)}`);
    return new Map(Object.entries(parsed.entries));
  } catch (e) {
    problems.push(`${name} is not ringside's format (${String(e)})`);
    return undefined;
  }
}
