// The Files panel's side of the worker API (ShareFilesApi in api.ts): listing a shared folder,
// writing files the user dropped or picked into it, reading one back and zipping a folder
// (with fflate, in the worker, so the page receives only the zip's bytes). All of it goes
// through the same OpfsFs calls the guest's 9P requests use (share-store.ts), so the guest's
// next lookup sees a new file and the sidecar's modes and symlinks stay true.
import { Zip, ZipPassThrough } from "fflate";
import { FsError } from "../backends/9p/ninep-errno.js";
import type { FsAttr, Ino } from "../backends/9p/ninep-fs.js";
import type { OpfsFs } from "../backends/9p/opfs-fs.js";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../backends/9p/ninep-spec.js";
import type { ShareEntry, ShareFilesApi, ShareUpload, TransferProgress } from "./api.js";
import { withShare } from "./share-store.js";

/** Bytes moved per step: a bounded buffer, and a progress report per step. */
const CHUNK = 1 << 20;
/** Entries one listing or one zip takes, and the folder depth a zip follows. */
const MAX_ENTRIES = 100_000;
const MAX_DEPTH = 64;
/** A zip is built in the worker's memory before it is handed over. */
const MAX_ZIP_BYTES = 2 ** 31;
/** Files the page writes belong to root (the guest's shell runs as root), as files put there by hand. */
const OWNER = { uid: 0, gid: 0 };

export function shareFilesService(): ShareFilesApi {
  return {
    listShare: (share, path) => withShare(share, (fs) => explain(path, async () => {
      const dir = await walk(fs, parts(path));
      if (kindOf(dir) !== "dir") throw new Error(`${path} is not a folder`);
      return (await entries(fs, dir.ino)).map(([name, a]) => ({ name, kind: kindOf(a), size: a.size, mtimeMs: a.mtime.sec * 1000 + Math.floor(a.mtime.nsec / 1e6) }));
    })),
    writeShareFiles: (share, files, onProgress) => withShare(share, async (fs) => {
      const total = files.reduce((n, f) => n + f.data.size, 0);
      let done = 0;
      for (const f of files) {
        await explain(f.path, () => writeOne(fs, f, (n) => void onProgress((done += n), total)));
      }
      await fs.flush();
      void onProgress(total, total);
    }),
    readShareFile: (share, path, onProgress) => withShare(share, (fs) => explain(path, async () => {
      const file = await walk(fs, parts(path));
      if (kindOf(file) !== "file") throw new Error(`${path} is not a file`);
      return new Blob(await readAll(fs, file, (done) => void onProgress(done, file.size)));
    })),
    zipShareFolder: (share, path, onProgress) => withShare(share, (fs) => explain(path, () => zipFolder(fs, path, onProgress))),
  };
}

/** A path inside the share ("a/b", "" for the root) as checked names. */
function parts(path: string): string[] {
  const names = path.split("/").filter((p) => p !== "");
  for (const n of names) {
    if (n === "." || n === ".." || n.includes("\0") || new TextEncoder().encode(n).length > 255) throw new Error(`${JSON.stringify(n)} cannot be a name in the shared folder`);
  }
  return names;
}

async function walk(fs: OpfsFs, names: string[]): Promise<FsAttr> {
  let at = await fs.getattr(fs.root);
  for (const n of names) at = await fs.lookup(at.ino, n);
  return at;
}

function kindOf(a: FsAttr): ShareEntry["kind"] {
  const type = a.mode & S_IFMT;
  return type === S_IFDIR ? "dir" : type === S_IFLNK ? "symlink" : type === S_IFREG ? "file" : "file";
}

async function entries(fs: OpfsFs, dir: Ino): Promise<[string, FsAttr][]> {
  const out: [string, FsAttr][] = [];
  for (let cookie = 0; out.length < MAX_ENTRIES; ) {
    const batch = await fs.readdir(dir, cookie, 512);
    if (batch.length === 0) break;
    for (const e of batch) out.push([e.name, await fs.lookup(dir, e.name)]);
    cookie = batch[batch.length - 1]!.cookie;
  }
  return out;
}

/** Writes one upload (making its folders), replacing a file of that name. */
async function writeOne(fs: OpfsFs, upload: ShareUpload, wrote: (bytes: number) => void): Promise<void> {
  const names = parts(upload.path);
  const name = names.pop();
  if (name === undefined) throw new Error("a file needs a name");
  let dir = await fs.getattr(fs.root);
  for (const n of names) {
    const found = await fs.lookup(dir.ino, n).catch(() => undefined);
    dir = found ?? (await fs.mkdir(dir.ino, n, 0o755, OWNER));
    if (kindOf(dir) !== "dir") throw new Error(`${n} is a file, not a folder`);
  }
  const existing = await fs.lookup(dir.ino, name).catch(() => undefined);
  if (existing && kindOf(existing) !== "file") throw new Error(`${upload.path} is a folder or a link in the shared folder`);
  const file = existing ?? (await fs.create(dir.ino, name, 0o644, OWNER));
  await fs.open(file.ino, { read: false, write: true, truncate: true });
  try {
    for (let at = 0; at < upload.data.size; at += CHUNK) {
      const bytes = new Uint8Array(await upload.data.slice(at, at + CHUNK).arrayBuffer());
      await fs.write(file.ino, at, bytes);
      wrote(bytes.length);
    }
  } finally {
    await fs.release(file.ino);
  }
}

/** The file's bytes in chunks (copied: a read's bytes live only until the next call). */
async function readAll(fs: OpfsFs, file: FsAttr, progress: (done: number) => void): Promise<Uint8Array<ArrayBuffer>[]> {
  await fs.open(file.ino, { read: true, write: false, truncate: false });
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  try {
    for (let at = 0; ; ) {
      const bytes = await fs.read(file.ino, at, CHUNK);
      if (bytes.length === 0) break;
      chunks.push(bytes.slice());
      at += bytes.length;
      progress(at);
    }
  } finally {
    await fs.release(file.ino);
  }
  return chunks;
}

/** The folder at `path` as a zip (stored, not compressed: fast in the worker, and most big files are compressed already). */
async function zipFolder(fs: OpfsFs, path: string, onProgress: TransferProgress): Promise<Blob> {
  const top = await walk(fs, parts(path));
  if (kindOf(top) !== "dir") throw new Error(`${path} is not a folder`);
  const files: { name: string; attr: FsAttr }[] = [];
  const visit = async (dir: Ino, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new Error(`folders deeper than ${MAX_DEPTH} levels are not zipped`);
    for (const [name, attr] of await entries(fs, dir)) {
      if (files.length >= MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries: too many for one zip`);
      const kind = kindOf(attr);
      // A symlink is a name in the guest, not bytes: a zip of links would be unportable.
      if (kind === "symlink") continue;
      files.push({ name: `${prefix}${name}${kind === "dir" ? "/" : ""}`, attr });
      if (kind === "dir") await visit(attr.ino, `${prefix}${name}/`, depth + 1);
    }
  };
  await visit(top.ino, "", 0);
  const total = files.reduce((n, f) => n + (kindOf(f.attr) === "file" ? f.attr.size : 0), 0);
  if (total > MAX_ZIP_BYTES) throw new Error(`${total} bytes is more than one zip made in the browser holds (${MAX_ZIP_BYTES}); download the files one by one`);
  const out: Uint8Array<ArrayBuffer>[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else out.push(chunk as Uint8Array<ArrayBuffer>);
  });
  let done = 0;
  for (const f of files) {
    const entry = new ZipPassThrough(f.name);
    entry.mtime = f.attr.mtime.sec * 1000;
    zip.add(entry);
    if (kindOf(f.attr) === "file") {
      const before = done;
      for (const chunk of await readAll(fs, f.attr, (n) => void onProgress((done = before + n), total))) entry.push(chunk);
    }
    entry.push(new Uint8Array(0), true);
  }
  zip.end();
  if (failure) throw failure;
  void onProgress(total, total);
  return new Blob(out, { type: "application/zip" });
}

/** Runs `work`, turning a refusal of the filesystem into a sentence naming `path`. */
async function explain<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    throw new Error(`${path || "the shared folder"}: ${ERRNO_TEXT[e.errno] ?? `refused (errno ${e.errno})`}`);
  }
}

const ERRNO_TEXT: Record<number, string> = {
  1: "not permitted", 2: "no such file or folder", 13: "that name is reserved for the folder's metadata", 16: "in use by another ringside tab",
  17: "already exists", 20: "not a folder", 21: "is a folder", 28: "the browser's storage is full",
};
