// The shared folder in the browser's storage (OpfsFs) through the real 9P server, over an
// in-memory OPFS (tests/support/fake-opfs.ts) whose sync handles lock their files as Chromium's
// do: what the guest's v9fs does, what persists for the next OpfsFs over the same folder
// (contents, modes, owners, symlinks) and what the OPFS cannot do (hard links, folder moves
// without move()).
import { describe, expect, it } from "vitest";
import { EEXIST, EISDIR, ELOOP, ENOENT, ENOTEMPTY, EPERM, EROFS } from "../../src/backends/9p/ninep-errno.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { OpfsFs } from "../../src/backends/9p/opfs-fs.js";
import { MAX_COPY_ENTRIES } from "../../src/backends/9p/opfs-copy.js";
import { EACCES, EXDEV } from "../../src/backends/9p/opfs-handles.js";
import { META_NAME } from "../../src/backends/9p/opfs-meta.js";
import { fakeOpfsRoot, FakeTreeFile, type FakeTreeDir, type FakeTreeOptions } from "../support/fake-opfs.js";
import { NinepClient, type Reply } from "../support/ninep-client.js";
import { AT_REMOVEDIR, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC } from "../support/ninep-setup.js";

type Client = NinepClient<"async">;

async function ok<R>(p: Promise<Reply<R>>): Promise<R> {
  const r = await p;
  if (!r.ok) throw new Error(`expected success, got errno ${r.errno}`);
  return r;
}

async function errno<R>(p: Promise<Reply<R>>): Promise<number> {
  const r = await p;
  if (r.ok) throw new Error("expected an error, got success");
  return r.errno;
}

async function mount(root: FakeTreeDir, opts: { readOnly?: boolean; maxSyncHandles?: number; nowMs?: number } = {}) {
  const fs = await OpfsFs.open(root, { now: () => opts.nowMs ?? 1_700_000_000_000, metaDelayMs: 60_000, ...(opts.maxSyncHandles ? { maxSyncHandles: opts.maxSyncHandles } : {}) });
  const c: Client = new NinepClient(new NinepServer(fs, { readOnly: opts.readOnly ?? false }), "async");
  await ok(c.version(65536));
  await ok(c.attach(0, 1000));
  return { fs, c };
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const split = (path: string) => (path === "" ? [] : path.split("/"));

async function writeFile(c: Client, path: string, data: Uint8Array, mode = 0o644, fid = 900): Promise<void> {
  const parts = split(path);
  const name = parts.pop()!;
  await ok(c.walk(0, fid, parts));
  await ok(c.lcreate(fid, name, O_RDWR, mode));
  for (let at = 0; at < data.length; at += 8192) await ok(c.write(fid, at, data.subarray(at, at + 8192)));
  await ok(c.clunk(fid));
}

async function readFile(c: Client, path: string, fid = 901): Promise<Uint8Array> {
  await ok(c.walk(0, fid, split(path)));
  await ok(c.lopen(fid, O_RDONLY));
  const parts: Uint8Array[] = [];
  for (let at = 0; ; ) {
    const { data } = await ok(c.read(fid, at, 8192));
    if (data.length === 0) break;
    parts.push(data.slice());
    at += data.length;
  }
  await ok(c.clunk(fid));
  return Buffer.concat(parts);
}

async function list(c: Client, path: string, count = 8192, fid = 902): Promise<string[]> {
  await ok(c.walk(0, fid, split(path)));
  await ok(c.lopen(fid, O_RDONLY | O_DIRECTORY));
  const names: string[] = [];
  for (let offset = 0n; ; ) {
    const { entries } = await ok(c.readdir(fid, offset, count));
    if (entries.length === 0) break;
    for (const e of entries) if (e.name !== "." && e.name !== "..") names.push(e.name);
    offset = entries[entries.length - 1]!.offset;
  }
  await ok(c.clunk(fid));
  return names;
}

async function attr(c: Client, path: string, fid = 903) {
  await ok(c.walk(0, fid, split(path)));
  const a = await ok(c.getattr(fid));
  await ok(c.clunk(fid));
  return a;
}

function fileBytes(root: FakeTreeDir, path: string): string {
  const f = root.at(path);
  if (!(f instanceof FakeTreeFile)) throw new Error(`${path} is not a file in the fake OPFS`);
  return dec(f.data.bytes);
}

describe("OpfsFs through the 9P server", () => {
  it("creates, writes and reads files that land in the OPFS folder", async () => {
    const root = fakeOpfsRoot();
    const { c } = await mount(root);
    const big = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
    await writeFile(c, "big.bin", big);
    await writeFile(c, "a.txt", enc("hello"));
    expect(Buffer.compare(await readFile(c, "big.bin"), Buffer.from(big))).toBe(0);
    expect(fileBytes(root, "a.txt")).toBe("hello");
    expect((await attr(c, "big.bin")).size).toBe(100_000n);
    expect(await errno(c.lcreate(0, "a.txt", O_RDWR, 0o644))).toBe(EEXIST);
    // O_TRUNC empties it; writing past the end extends it.
    await ok(c.walk(0, 5, ["a.txt"]));
    await ok(c.lopen(5, O_RDWR | O_TRUNC));
    await ok(c.write(5, 2, "xy"));
    await ok(c.clunk(5));
    expect(fileBytes(root, "a.txt")).toBe("\0\0xy");
  });

  it("makes and lists folders, hides the sidecar and refuses its name", async () => {
    const root = fakeOpfsRoot();
    const { c, fs } = await mount(root);
    await ok(c.mkdir(0, "d", 0o750));
    await writeFile(c, "d/f", enc("1"));
    await ok(c.symlink(0, "link", "d/f"));
    await ok(c.walk(0, 1, ["d"]));
    await ok(c.setattr(1, { valid: 0x1, mode: 0o700 }));
    await fs.flush();
    expect(root.at(META_NAME)).toBeDefined();
    expect(await list(c, "")).toEqual(["d", "link"]);
    expect(await list(c, "d")).toEqual(["f"]);
    expect(await errno(c.walk(0, 2, [META_NAME]))).toBe(ENOENT);
    expect(await errno(c.lcreate(0, META_NAME, O_RDWR, 0o644))).toBe(EACCES);
    expect(await errno(c.renameat(0, "link", 0, META_NAME))).toBe(EACCES);
    // A folder of 300 entries read 1 KiB at a time: every name once.
    await ok(c.mkdir(0, "many", 0o755));
    for (let i = 0; i < 300; i++) await writeFile(c, `many/file-${String(i).padStart(3, "0")}`, enc(""));
    const names = await list(c, "many", 1024);
    expect(names).toHaveLength(300);
    expect(new Set(names).size).toBe(300);
  });

  it("renames files and folders, and unlinks with rmdir's checks", async () => {
    const root = fakeOpfsRoot();
    const { c } = await mount(root);
    await ok(c.mkdir(0, "d", 0o755));
    await writeFile(c, "d/f", enc("data"));
    await ok(c.symlink(0, "s", "d/f"));
    await ok(c.renameat(0, "d", 0, "e"));
    expect(dec(await readFile(c, "e/f"))).toBe("data");
    expect(root.at("d")).toBeUndefined();
    await ok(c.renameat(0, "s", 0, "s2"));
    await ok(c.walk(0, 1, ["s2"]));
    expect((await ok(c.readlink(1))).target).toBe("d/f");
    await ok(c.renameat(0, "e", 0, "e"));
    await writeFile(c, "g", enc("replaced"));
    await ok(c.walk(0, 2, ["e"]));
    await ok(c.renameat(2, "f", 0, "g"));
    expect(fileBytes(root, "g")).toBe("data");
    expect(await errno(c.unlinkat(0, "e", 0))).toBe(EISDIR);
    await writeFile(c, "e/x", enc(""));
    expect(await errno(c.unlinkat(0, "e", AT_REMOVEDIR))).toBe(ENOTEMPTY);
    await ok(c.unlinkat(2, "x", 0));
    await ok(c.unlinkat(0, "e", AT_REMOVEDIR));
    expect(await list(c, "")).toEqual(["g", "s2"]);
  });

  it("without move() (folders in Chromium): copies files and small folders, EXDEV for a big folder", async () => {
    const root = fakeOpfsRoot({ moveFiles: false, moveDirs: false } satisfies FakeTreeOptions);
    const { c } = await mount(root);
    await ok(c.mkdir(0, "d", 0o755));
    const bytes = new Uint8Array(3 << 20).map((_, i) => i & 255);
    await writeFile(c, "f", bytes);
    await ok(c.walk(0, 1, ["d"]));
    await ok(c.renameat(0, "f", 1, "moved"));
    expect(root.at("f")).toBeUndefined();
    expect(Buffer.compare(await readFile(c, "d/moved"), Buffer.from(bytes))).toBe(0);
    // A small folder is copied whole (nested folders, a file held open, a symlink and a mode), then removed.
    await ok(c.mkdir(1, "sub", 0o700));
    await writeFile(c, "d/sub/inner", enc("inner"));
    await ok(c.symlink(1, "ln", "moved"));
    await ok(c.walk(0, 2, ["d", "moved"]));
    await ok(c.lopen(2, O_RDONLY));
    await ok(c.renameat(0, "d", 0, "d2"));
    expect(root.at("d")).toBeUndefined();
    expect(await list(c, "d2")).toEqual(["ln", "moved", "sub"]);
    expect(dec(await readFile(c, "d2/sub/inner"))).toBe("inner");
    expect(Buffer.compare(await readFile(c, "d2/moved"), Buffer.from(bytes))).toBe(0);
    expect((await attr(c, "d2/sub")).mode).toBe(0o40700);
    await ok(c.walk(0, 3, ["d2", "ln"]));
    expect((await ok(c.readlink(3))).target).toBe("moved");
    // The fid opened before the move reads the file at its new place.
    expect((await ok(c.read(2, 0, 4))).data).toEqual(bytes.subarray(0, 4));
    // Past MAX_COPY_ENTRIES the folder is left alone and the guest's mv copies it itself.
    const big = await root.getDirectoryHandle("big", { create: true });
    for (let i = 0; i <= MAX_COPY_ENTRIES; i++) await big.getFileHandle(`f${i}`, { create: true });
    expect(await errno(c.renameat(0, "big", 0, "big2"))).toBe(EXDEV);
    expect(root.at("big")).toBeDefined();
    expect(root.at("big2")).toBeUndefined();
  });

  it("keeps modes, owners, times and symlinks in the sidecar for the next mount", async () => {
    const root = fakeOpfsRoot();
    const first = await mount(root);
    await writeFile(first.c, "script.sh", enc("#!/bin/sh\n"), 0o755);
    await ok(first.c.mkdir(0, "private", 0o700));
    await ok(first.c.symlink(0, "run", "script.sh"));
    await ok(first.c.walk(0, 1, ["script.sh"]));
    await ok(first.c.setattr(1, { valid: 0x2 | 0x4 | 0x100 | 0x20, uid: 1000, gid: 100, mtime: [1_600_000_000, 5] }));
    await first.fs.close();
    // Mounted a day later: a folder's time is the sidecar's, not the mount's.
    const again = await mount(root, { nowMs: 1_700_086_400_000 });
    expect((await attr(again.c, "private")).mtime).toEqual([1_700_000_000n, 0n]);
    const a = await attr(again.c, "script.sh");
    expect(a.mode).toBe(0o100755);
    expect([a.uid, a.gid]).toEqual([1000, 100]);
    expect(a.mtime).toEqual([1_600_000_000n, 5n]);
    expect((await attr(again.c, "private")).mode).toBe(0o40700);
    expect((await attr(again.c, "run")).mode).toBe(0o120777);
    await ok(again.c.walk(0, 2, ["run"]));
    expect((await ok(again.c.readlink(2))).target).toBe("script.sh");
    expect(await errno(again.c.lopen(2, O_RDONLY))).toBe(ELOOP);
    expect(dec(await readFile(again.c, "script.sh"))).toBe("#!/bin/sh\n");
  });

  it("sees files put in the folder by others, such as the page", async () => {
    const root = fakeOpfsRoot();
    const { c } = await mount(root);
    expect(await list(c, "")).toEqual([]);
    const h = await (await root.getFileHandle("dropped.txt", { create: true })).createSyncAccessHandle();
    h.write(enc("from the page"), { at: 0 });
    h.close();
    expect(await list(c, "")).toEqual(["dropped.txt"]);
    expect(dec(await readFile(c, "dropped.txt"))).toBe("from the page");
    expect((await attr(c, "dropped.txt")).mode).toBe(0o100644);
  });

  it("refuses hard links and device nodes with EPERM", async () => {
    const { c } = await mount(fakeOpfsRoot());
    await writeFile(c, "f", enc("x"));
    await ok(c.walk(0, 1, ["f"]));
    expect(await errno(c.link(0, 1, "hard"))).toBe(EPERM);
    expect(await errno(c.mknod(0, "fifo", 0o10644))).toBe(EPERM);
  });

  it("keeps at most maxSyncHandles files open, closing the least recently used", async () => {
    const root = fakeOpfsRoot();
    const { c, fs } = await mount(root, { maxSyncHandles: 3 });
    for (let i = 0; i < 6; i++) await writeFile(c, `f${i}`, enc(`content ${i}`));
    expect(fs.openHandles).toBe(3);
    const held = [...root.children.values()].filter((e) => e instanceof FakeTreeFile && e.held).map((e) => e.name);
    expect(held.sort()).toEqual(["f3", "f4", "f5"]);
    for (let i = 0; i < 6; i++) expect(dec(await readFile(c, `f${i}`))).toBe(`content ${i}`);
    // Removing a held file closes its handle first (the OPFS refuses to remove a held file).
    await ok(c.unlinkat(0, "f5", 0));
    expect(root.at("f5")).toBeUndefined();
  });

  it("reads a file no sync handle holds from a snapshot (no handle opened), never a stale one", async () => {
    const root = fakeOpfsRoot();
    const { c, fs } = await mount(root, { maxSyncHandles: 1 });
    await writeFile(c, "a", enc("first"));
    await writeFile(c, "b", enc("other"));
    expect((root.at("a") as FakeTreeFile).held).toBe(false);
    expect(dec(await readFile(c, "a"))).toBe("first");
    expect((root.at("a") as FakeTreeFile).held).toBe(false);
    expect(fs.openHandles).toBe(1);
    // A write through 9P drops the snapshot: the next read sees the new bytes.
    await ok(c.walk(0, 7, ["a"]));
    await ok(c.lopen(7, O_RDWR));
    await ok(c.write(7, 0, "FIRST!"));
    await ok(c.clunk(7));
    await writeFile(c, "c", enc("evicts a"));
    expect(dec(await readFile(c, "a"))).toBe("FIRST!");
    expect((await attr(c, "a")).size).toBe(6n);
  });

  it("refuses every change of a read-only share with EROFS and still reads", async () => {
    const root = fakeOpfsRoot();
    const first = await mount(root);
    await writeFile(first.c, "f", enc("kept"));
    await first.fs.close();
    const { c } = await mount(root, { readOnly: true });
    expect(await errno(c.lcreate(0, "new", O_RDWR, 0o644))).toBe(EROFS);
    expect(await errno(c.mkdir(0, "d", 0o755))).toBe(EROFS);
    expect(await errno(c.unlinkat(0, "f", 0))).toBe(EROFS);
    expect(dec(await readFile(c, "f"))).toBe("kept");
    expect(root.children.has("new")).toBe(false);
  });

  it("reports statfs from the storage estimate", async () => {
    const fs = await OpfsFs.open(fakeOpfsRoot(), { estimate: async () => ({ quota: 4096 * 1000, usage: 4096 * 250 }) });
    const c: Client = new NinepClient(new NinepServer(fs), "async");
    await ok(c.version(65536));
    await ok(c.attach(0, 0));
    const s = await ok(c.statfs(0));
    expect([s.bsize, s.blocks, s.bfree]).toEqual([4096, 1000n, 750n]);
  });
});
