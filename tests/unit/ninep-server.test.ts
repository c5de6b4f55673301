// The 9P2000.L server over the memory filesystem, one operation at a time, with real
// messages from the test-side client (tests/support/ninep-client.ts): the session, walking,
// files, folders, symlinks, hard links, renames, attributes, locks and statfs, as Linux's
// v9fs uses them.
import { describe, expect, it } from "vitest";
import { MAX_MSIZE, NinepServer } from "../../src/backends/9p/ninep-server.js";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { NinepClient } from "../support/ninep-client.js";
import { AT_REMOVEDIR, errno, listDir, mounted, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, ok, readFile, ROOT_FID, walkTo, writeFile } from "../support/ninep-setup.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFIFO = 0o010000;

describe("9P session", () => {
  it("negotiates msize: the client's when smaller, at most 512 KiB", () => {
    const c = new NinepClient(new NinepServer(new MemoryFs()));
    expect(ok(c.version(8192))).toEqual({ ok: true, msize: 8192, version: "9P2000.L" });
    expect(ok(c.version(4 * 1024 * 1024)).msize).toBe(MAX_MSIZE);
  });

  it("answers another version 'unknown' and then refuses requests until a 9P2000.L Tversion (EPROTO)", () => {
    const c = new NinepClient(new NinepServer(new MemoryFs()));
    expect(ok(c.version(8192, "9P2000.u")).version).toBe("unknown");
    expect(errno(c.attach(0))).toBe(71);
    ok(c.version(8192));
    ok(c.attach(0));
  });

  it("attaches: the root is a directory qid, getattr gives the whole BASIC set", () => {
    const { c } = mounted();
    const a = ok(c.getattr(ROOT_FID));
    expect(a.valid).toBe(0x7ffn);
    expect(a.qid.type).toBe(0x80);
    expect(a.qid.version).toBe(0);
    expect(a.mode & 0o170000).toBe(S_IFDIR);
    expect(a.nlink).toBe(2n);
    expect(a.blksize).toBe(4096n);
  });

  it("reset() drops every fid; Tversion does too", () => {
    const { c, server } = mounted();
    walkTo(c, 1, "");
    expect(server.stats().fids).toBe(2);
    server.reset();
    expect(server.stats()).toMatchObject({ fids: 0, msize: 0 });
    expect(errno(c.getattr(ROOT_FID))).toBe(71);
    ok(c.version(8192));
    expect(errno(c.getattr(ROOT_FID))).toBe(9);
  });

  it("Tflush is answered at once; Tauth and the xattr requests are EOPNOTSUPP", () => {
    const { c } = mounted();
    ok(c.flush(5));
    expect(errno(c.auth(1))).toBe(95);
    expect(errno(c.xattrwalk(ROOT_FID, 7, "user.x"))).toBe(95);
    expect(errno(c.xattrwalk(ROOT_FID, 7, ""))).toBe(95);
    expect(errno(c.xattrcreate(ROOT_FID, "user.x", 3))).toBe(95);
  });
});

describe("9P files", () => {
  it("creates, writes, reads back, and keeps qids stable per inode", () => {
    const { c } = mounted();
    ok(c.walk(ROOT_FID, 1, []));
    const created = ok(c.lcreate(1, "hello.txt", O_RDWR, 0o640, 50));
    expect(created.qid.type).toBe(0);
    expect(created.iounit).toBe(65536 - 24);
    expect(ok(c.write(1, 0, "hello, world")).count).toBe(12);
    expect(text(ok(c.read(1, 7, 100)).data)).toBe("world");
    ok(c.clunk(1));
    const walked = ok(c.walk(ROOT_FID, 2, ["hello.txt"]));
    expect(walked.qids[0]!.path).toBe(created.qid.path);
    const a = ok(c.getattr(2));
    expect(a).toMatchObject({ size: 12n, uid: 1000, gid: 50, nlink: 1n });
    expect(a.mode).toBe(S_IFREG | 0o640);
    expect(text(readFile(c, "hello.txt"))).toBe("hello, world");
  });

  it("Tread clamps its count to msize - 11", () => {
    const { c } = mounted({ msize: 8192 });
    writeFile(c, "big", new Uint8Array(20000).fill(7));
    walkTo(c, 1, "big");
    ok(c.lopen(1, O_RDONLY));
    expect(ok(c.read(1, 0, 1 << 20)).data.length).toBe(8192 - 11);
  });

  it("O_TRUNC empties a file; Tsetattr truncates and extends with zeros", () => {
    const { c } = mounted();
    writeFile(c, "f", "abcdef");
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_WRONLY | O_TRUNC));
    expect(ok(c.getattr(1)).size).toBe(0n);
    ok(c.write(1, 0, "xyz"));
    ok(c.setattr(1, { valid: 0x8, size: 6 }));
    expect([...readFile(c, "f")]).toEqual([120, 121, 122, 0, 0, 0]);
    ok(c.setattr(1, { valid: 0x8, size: 1 }));
    expect(text(readFile(c, "f"))).toBe("x");
  });

  it("Tsetattr sets mode bits (not the type), owners and times", () => {
    const { c } = mounted();
    writeFile(c, "f", "x");
    walkTo(c, 1, "f");
    ok(c.setattr(1, { valid: 0x1 | 0x2 | 0x4 | 0x10 | 0x20 | 0x80 | 0x100, mode: S_IFDIR | 0o4711, uid: 7, gid: 8, atime: [100, 5], mtime: [-86400, 999_999_999] }));
    const a = ok(c.getattr(1));
    expect(a).toMatchObject({ mode: S_IFREG | 0o4711, uid: 7, gid: 8, atime: [100n, 5n], mtime: [-86400n, 999_999_999n] });
    ok(c.setattr(1, { valid: 0x20 }));
    expect(ok(c.getattr(1)).mtime[0]).toBe(1_700_000_000n);
    expect(errno(c.setattr(1, { valid: 0x10 | 0x80, atime: [1, 1_000_000_000] }))).toBe(22);
  });

  it("files beyond 4 GiB: sparse writes and reads at offsets past 2^32", () => {
    const { c, fs } = mounted();
    writeFile(c, "sparse", "");
    walkTo(c, 1, "sparse");
    ok(c.lopen(1, O_RDWR));
    const at = 5 * 2 ** 30 + 123;
    ok(c.write(1, at, "tail"));
    expect(ok(c.getattr(1)).size).toBe(BigInt(at + 4));
    expect(text(ok(c.read(1, at, 10)).data)).toBe("tail");
    expect([...ok(c.read(1, 2 ** 32, 4)).data]).toEqual([0, 0, 0, 0]);
    expect(ok(c.read(1, 2n ** 63n, 4)).data.length).toBe(0);
    expect(fs.usage().bytes).toBeLessThan(4096);
    expect(errno(c.write(1, 2n ** 53n, "x"))).toBe(27);
  });

  it("fsync, lock and getlock succeed on any fid (getlock says unlocked and echoes the range)", () => {
    const { c } = mounted();
    writeFile(c, "f", "x");
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDWR));
    ok(c.fsync(1, 1));
    expect(ok(c.lock(1, 1, 0, 10)).status).toBe(0);
    expect(ok(c.getlock(1, 1, 3, 10, 42, "host"))).toMatchObject({ type: 2, start: 3n, length: 10n, procId: 42, clientId: "host" });
  });

  it("statfs reports the memory filesystem's limits", () => {
    const { c } = mounted({ fs: { maxBytes: 1 << 20, maxInodes: 100 } });
    const s = ok(c.statfs(ROOT_FID));
    expect(s).toMatchObject({ type: 0x01021997, bsize: 4096, blocks: 256n, files: 100n, ffree: 99n, namelen: 255 });
  });
});

describe("9P names", () => {
  it("mkdir, walk through several levels, and walk '..' back (never above the root)", () => {
    const { c } = mounted();
    const a = ok(c.mkdir(ROOT_FID, "a", 0o750, 9));
    ok(c.walk(ROOT_FID, 1, ["a"]));
    const b = ok(c.mkdir(1, "b"));
    const w = ok(c.walk(ROOT_FID, 2, ["a", "b", "..", "b"]));
    expect(w.qids.map((q) => q.path)).toEqual([a.qid.path, b.qid.path, a.qid.path, b.qid.path]);
    const root = ok(c.getattr(ROOT_FID)).qid.path;
    const up = ok(c.walk(ROOT_FID, 3, ["..", "..", "a", "..", ".."]));
    expect(up.qids.map((q) => q.path)).toEqual([root, root, a.qid.path, root, root]);
    expect(ok(c.getattr(1)).mode).toBe(S_IFDIR | 0o750);
    expect(ok(c.getattr(ROOT_FID)).nlink).toBe(3n);
  });

  it("rename across folders (Trenameat), replacing a file, and Trename by fid", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "x"));
    ok(c.mkdir(ROOT_FID, "y"));
    writeFile(c, "x/one", "1");
    writeFile(c, "y/two", "2");
    walkTo(c, 1, "x");
    walkTo(c, 2, "y");
    ok(c.renameat(1, "one", 2, "two"));
    expect(listDir(c, "x")).toEqual([]);
    expect(listDir(c, "y")).toEqual(["two"]);
    expect(text(readFile(c, "y/two"))).toBe("1");
    walkTo(c, 3, "y/two");
    ok(c.rename(3, ROOT_FID, "top"));
    expect(listDir(c, "")).toEqual(["x", "y", "top"]);
    ok(c.rename(3, 1, "back"));
    expect(listDir(c, "x")).toEqual(["back"]);
  });

  it("moves a folder with its contents; link counts follow", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "p"));
    ok(c.mkdir(ROOT_FID, "q"));
    walkTo(c, 1, "p");
    ok(c.mkdir(1, "sub"));
    writeFile(c, "p/sub/f", "deep");
    walkTo(c, 2, "q");
    ok(c.renameat(1, "sub", 2, "moved"));
    expect(text(readFile(c, "q/moved/f"))).toBe("deep");
    expect(ok(c.getattr(1)).nlink).toBe(2n);
    expect(ok(c.getattr(2)).nlink).toBe(3n);
    ok(c.walk(ROOT_FID, 3, ["q", "moved", ".."]));
    expect(ok(c.getattr(3)).qid.path).toBe(ok(c.getattr(2)).qid.path);
  });

  it("symlink and readlink: the target is stored text, never followed", () => {
    const { c } = mounted();
    const s = ok(c.symlink(ROOT_FID, "link", "../../etc/passwd", 4));
    expect(s.qid.type).toBe(0x02);
    walkTo(c, 1, "link");
    expect(ok(c.readlink(1)).target).toBe("../../etc/passwd");
    const a = ok(c.getattr(1));
    expect(a.mode).toBe(S_IFLNK | 0o777);
    expect(a.size).toBe(16n);
    // The guest's kernel resolves symlinks: the server walks onto the link, not through it.
    expect(ok(c.walk(ROOT_FID, 2, ["link", "x"])).qids.map((q) => q.type)).toEqual([0x02]);
    expect(errno(c.walk(1, 2, ["x"]))).toBe(20);
    expect(errno(c.lopen(1, O_RDONLY))).toBe(40);
  });

  it("hard links share an inode; the data outlives one name, and an open file its last name", () => {
    const { c, fs } = mounted();
    writeFile(c, "orig", "shared");
    walkTo(c, 1, "orig");
    ok(c.link(ROOT_FID, 1, "alias"));
    expect(ok(c.getattr(1)).nlink).toBe(2n);
    expect(ok(c.walk(ROOT_FID, 2, ["alias"])).qids[0]!.path).toBe(ok(c.getattr(1)).qid.path);
    ok(c.unlinkat(ROOT_FID, "orig"));
    expect(text(readFile(c, "alias"))).toBe("shared");
    ok(c.lopen(2, O_RDONLY));
    const before = fs.usage().inodes;
    ok(c.unlinkat(ROOT_FID, "alias"));
    expect(ok(c.getattr(2)).nlink).toBe(0n);
    expect(text(ok(c.read(2, 0, 100)).data)).toBe("shared");
    expect(fs.usage().inodes).toBe(before);
    ok(c.clunk(2));
    expect(fs.usage().inodes).toBe(before - 1);
  });

  it("unlinkat removes files and (with AT_REMOVEDIR) empty folders; Tremove removes by fid", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "d"));
    writeFile(c, "f", "");
    ok(c.unlinkat(ROOT_FID, "d", AT_REMOVEDIR));
    walkTo(c, 1, "f");
    ok(c.remove(1));
    expect(errno(c.getattr(1))).toBe(9);
    expect(listDir(c, "")).toEqual([]);
    expect(ok(c.getattr(ROOT_FID)).nlink).toBe(2n);
  });

  it("mknod makes FIFOs and sockets; device nodes are EPERM", () => {
    const { c } = mounted();
    const q = ok(c.mknod(ROOT_FID, "fifo", S_IFIFO | 0o600));
    expect(q.qid.type).toBe(0);
    walkTo(c, 1, "fifo");
    expect(ok(c.getattr(1)).mode).toBe(S_IFIFO | 0o600);
    expect(errno(c.mknod(ROOT_FID, "tty", 0o020000 | 0o600, 4, 1))).toBe(1);
    expect(errno(c.mknod(ROOT_FID, "sda", 0o060000 | 0o600, 8, 0))).toBe(1);
    expect(errno(c.mknod(ROOT_FID, "reg", S_IFREG | 0o600))).toBe(22);
  });

  it("readdir lists '.', '..' and every entry with its type and qid", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "dir"));
    writeFile(c, "file", "x");
    ok(c.symlink(ROOT_FID, "sym", "file"));
    ok(c.walk(ROOT_FID, 1, []));
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    const { entries } = ok(c.readdir(1, 0, 8192));
    expect(entries.map((e) => [e.name, e.type, e.offset])).toEqual([[".", 4, 1n], ["..", 4, 2n], ["dir", 4, 3n], ["file", 8, 4n], ["sym", 10, 5n]]);
    expect(ok(c.readdir(1, 5, 8192)).entries).toEqual([]);
  });
});
