// The 9P server's refusals: every errno a guest can meet, from the filesystem (ENOENT,
// EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, ENOSPC), from the server's own rules (EBADF,
// bad and busy fids, the fid and open tables full, walks past a file) and from a read-only
// share (EROFS for every request that writes), each with real messages.
import { describe, expect, it } from "vitest";
import { MAX_FIDS } from "../../src/backends/9p/ninep-server.js";
import { NinepClient } from "../support/ninep-client.js";
import { AT_REMOVEDIR, errno, mounted, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, ok, ROOT_FID, walkTo, writeFile } from "../support/ninep-setup.js";

const ENOENT = 2, EBADF = 9, EBUSY = 16, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, ENOSPC = 28, EROFS = 30;
const ENAMETOOLONG = 36, ENOTEMPTY = 39, EPROTO = 71, EILSEQ = 84, EMSGSIZE = 90;

describe("9P errors from the filesystem", () => {
  it("ENOENT: walking to a missing name (no fid made), and Rwalk with the qids found when a later name is missing", () => {
    const { c, server } = mounted();
    ok(c.mkdir(ROOT_FID, "d"));
    expect(errno(c.walk(ROOT_FID, 1, ["nope"]))).toBe(ENOENT);
    expect(ok(c.walk(ROOT_FID, 1, ["d", "nope", "x"])).qids).toHaveLength(1);
    expect(server.stats().fids).toBe(1);
    expect(errno(c.unlinkat(ROOT_FID, "nope"))).toBe(ENOENT);
    expect(errno(c.renameat(ROOT_FID, "nope", ROOT_FID, "x"))).toBe(ENOENT);
  });

  it("EEXIST: creating over any existing name", () => {
    const { c } = mounted();
    writeFile(c, "f", "");
    ok(c.mkdir(ROOT_FID, "d"));
    ok(c.walk(ROOT_FID, 1, []));
    expect(errno(c.lcreate(1, "f", O_RDWR, 0o644))).toBe(EEXIST);
    expect(errno(c.mkdir(ROOT_FID, "f"))).toBe(EEXIST);
    expect(errno(c.symlink(ROOT_FID, "d", "x"))).toBe(EEXIST);
    walkTo(c, 2, "f");
    expect(errno(c.link(ROOT_FID, 2, "d"))).toBe(EEXIST);
  });

  it("ENOTDIR: walking past a file, creating in a file, readdir of a file, rmdir of a file", () => {
    const { c } = mounted();
    writeFile(c, "f", "x");
    walkTo(c, 1, "f");
    expect(errno(c.walk(1, 2, ["x"]))).toBe(ENOTDIR);
    expect(errno(c.walk(1, 2, [".."]))).toBe(ENOTDIR);
    expect(errno(c.mkdir(1, "x"))).toBe(ENOTDIR);
    expect(errno(c.lcreate(1, "x", O_RDWR, 0o644))).toBe(ENOTDIR);
    ok(c.lopen(1, O_RDONLY));
    expect(errno(c.readdir(1, 0, 4096))).toBe(ENOTDIR);
    expect(errno(c.unlinkat(ROOT_FID, "f", AT_REMOVEDIR))).toBe(ENOTDIR);
    ok(c.mkdir(ROOT_FID, "d"));
    expect(errno(c.renameat(ROOT_FID, "d", ROOT_FID, "f"))).toBe(ENOTDIR);
  });

  it("EISDIR: opening a folder to write, reading it with Tread, unlinking it without AT_REMOVEDIR, a file over a folder", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "d"));
    writeFile(c, "f", "");
    walkTo(c, 1, "d");
    expect(errno(c.lopen(1, O_WRONLY))).toBe(EISDIR);
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    expect(errno(c.read(1, 0, 10))).toBe(EISDIR);
    expect(errno(c.unlinkat(ROOT_FID, "d"))).toBe(EISDIR);
    expect(errno(c.renameat(ROOT_FID, "f", ROOT_FID, "d"))).toBe(EISDIR);
    expect(errno(c.setattr(1, { valid: 0x8, size: 0 }))).toBe(EISDIR);
  });

  it("ENOTEMPTY: removing or renaming over a folder with entries", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "full"));
    ok(c.mkdir(ROOT_FID, "other"));
    writeFile(c, "full/x", "");
    expect(errno(c.unlinkat(ROOT_FID, "full", AT_REMOVEDIR))).toBe(ENOTEMPTY);
    expect(errno(c.renameat(ROOT_FID, "other", ROOT_FID, "full"))).toBe(ENOTEMPTY);
  });

  it("EINVAL: a folder moved under itself; unknown unlinkat flags; access mode 3", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "a"));
    walkTo(c, 1, "a");
    ok(c.mkdir(1, "b"));
    walkTo(c, 2, "a/b");
    expect(errno(c.renameat(ROOT_FID, "a", 2, "a2"))).toBe(EINVAL);
    expect(errno(c.renameat(ROOT_FID, "a", 1, "self"))).toBe(EINVAL);
    expect(errno(c.unlinkat(ROOT_FID, "a", 0x100))).toBe(EINVAL);
    expect(errno(c.lopen(1, 3))).toBe(EINVAL);
    expect(errno(c.readlink(1))).toBe(EINVAL);
  });

  it("ENOSPC past the memory filesystem's bytes or inodes, with nothing half done", () => {
    const { c, fs } = mounted({ fs: { maxBytes: 64 * 1024, maxInodes: 4 } });
    ok(c.mkdir(ROOT_FID, "a"));
    ok(c.mkdir(ROOT_FID, "b"));
    writeFile(c, "f", "");
    expect(errno(c.mkdir(ROOT_FID, "c"))).toBe(ENOSPC);
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDWR));
    const before = fs.usage().bytes;
    expect(errno(c.write(1, 0, new Uint8Array(60 * 1024)))).toBe(ENOSPC);
    expect(fs.usage().bytes).toBe(before);
    expect(ok(c.getattr(1)).size).toBe(0n);
    ok(c.write(1, 0, new Uint8Array(16 * 1024)));
  });
});

describe("9P errors from the server's rules", () => {
  it("EBADF: unknown fids, I/O on fids not open (or open the other way)", () => {
    const { c } = mounted();
    writeFile(c, "f", "data");
    for (const r of [c.getattr(77), c.walk(77, 78, []), c.clunk(77), c.remove(77), c.lopen(77, 0), c.statfs(77), c.readlink(77), c.fsync(77), c.lock(77, 0)]) {
      expect(errno(r)).toBe(EBADF);
    }
    expect(errno(c.mkdir(77, "x"))).toBe(EBADF);
    expect(errno(c.renameat(ROOT_FID, "f", 77, "g"))).toBe(EBADF);
    walkTo(c, 1, "f");
    expect(errno(c.read(1, 0, 4))).toBe(EBADF);
    expect(errno(c.write(1, 0, "x"))).toBe(EBADF);
    ok(c.lopen(1, O_RDONLY));
    expect(errno(c.write(1, 0, "x"))).toBe(EBADF);
    walkTo(c, 2, "f");
    ok(c.lopen(2, O_WRONLY));
    expect(errno(c.read(2, 0, 4))).toBe(EBADF);
    walkTo(c, 3, "");
    expect(errno(c.readdir(3, 0, 4096))).toBe(EBADF);
  });

  it("EINVAL: a fid number in use (attach, walk), opening twice, walking an open fid onto itself", () => {
    const { c } = mounted();
    writeFile(c, "f", "");
    expect(errno(c.attach(ROOT_FID))).toBe(EINVAL);
    walkTo(c, 1, "f");
    expect(errno(c.walk(ROOT_FID, 1, ["f"]))).toBe(EINVAL);
    ok(c.lopen(1, O_RDONLY));
    expect(errno(c.lopen(1, O_RDONLY))).toBe(EINVAL);
    ok(c.walk(ROOT_FID, 2, []));
    ok(c.lopen(2, O_RDONLY));
    expect(errno(c.walk(2, 2, ["f"]))).toBe(EINVAL);
    ok(c.walk(2, 3, ["f"]));
    ok(c.walk(1, 1, []));
  });

  it("EBUSY: Tremove and Trename of a fid with no name (the root, or reached through '..')", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "d"));
    ok(c.walk(ROOT_FID, 1, ["d", ".."]));
    expect(errno(c.rename(1, ROOT_FID, "x"))).toBe(EBUSY);
    ok(c.walk(ROOT_FID, 2, []));
    expect(errno(c.remove(2))).toBe(EBUSY);
    expect(errno(c.getattr(2))).toBe(EBADF);
    expect(ok(c.getattr(ROOT_FID)).nlink).toBe(3n);
  });

  it(`ENFILE when the fid table is full (${MAX_FIDS} fids), logged once a session at most ${32} lines`, () => {
    const { c, server, logs } = mounted();
    for (let fid = 1; fid < MAX_FIDS; fid++) ok(c.walk(ROOT_FID, fid, []));
    expect(server.stats().fids).toBe(MAX_FIDS);
    for (let i = 0; i < 100; i++) expect(errno(c.walk(ROOT_FID, MAX_FIDS + i, []))).toBe(ENFILE);
    expect(errno(c.attach(MAX_FIDS))).toBe(ENFILE);
    expect(logs[0]).toMatch(/fid table full \(16384 fids\)/);
    expect(logs.length).toBe(32);
    ok(c.clunk(5));
    ok(c.walk(ROOT_FID, MAX_FIDS, []));
  });

  it("msize: the limit and the floor are logged; a Tversion whose reply cannot fit the device's buffer is EMSGSIZE", () => {
    const { c, server, logs } = mounted({ server: { maxMsize: 16384 } });
    expect(ok(c.version(1 << 20)).msize).toBe(16384);
    expect(logs.join("\n")).toMatch(/asked for msize 1048576; the server's limit is 16384/);
    expect(errno(c.version(1000))).toBe(EINVAL);
    expect(logs.join("\n")).toMatch(/msize 1000 is under the least this server accepts \(4096\): EINVAL/);
    expect(ok(c.version(8192, "9P2000.u")).version).toBe("unknown");
    expect(logs.join("\n")).toMatch(/"9P2000.u" is not 9P2000.L/);
    // Rversion is 21 bytes here: into 20 bytes of room it becomes the 11-byte Rlerror.
    const tight = new NinepClient({ handle: (m: Uint8Array) => server.handle(m, 20) });
    expect(errno(tight.version(8192))).toBe(EMSGSIZE);
    expect(logs.join("\n")).toMatch(/a reply of 21 bytes does not fit in 20: EMSGSIZE/);
  });

  it("ENFILE when too many fids are open, logged; a clunk makes room", () => {
    const { c, logs } = mounted({ server: { maxOpen: 3 } });
    writeFile(c, "f", "");
    for (let fid = 1; fid <= 4; fid++) walkTo(c, fid, "f");
    for (let fid = 1; fid <= 3; fid++) ok(c.lopen(fid, O_RDONLY));
    expect(errno(c.lopen(4, O_RDONLY))).toBe(ENFILE);
    expect(logs).toContain("9p: 3 files open: one more refused with ENFILE");
    ok(c.walk(ROOT_FID, 5, []));
    expect(errno(c.lcreate(5, "g", O_RDWR, 0o644))).toBe(ENFILE);
    ok(c.clunk(2));
    ok(c.lopen(4, O_RDONLY));
  });

  it("names: '/', NUL, empty, '.' and '..' are EINVAL (except '..' in Twalk), over 255 bytes ENAMETOOLONG, not UTF-8 EILSEQ", () => {
    const { c } = mounted();
    for (const bad of ["a/b", "a\0b", "", ".", ".."]) expect(errno(c.mkdir(ROOT_FID, bad))).toBe(EINVAL);
    expect(errno(c.walk(ROOT_FID, 1, ["."]))).toBe(EINVAL);
    expect(errno(c.walk(ROOT_FID, 1, ["a/b"]))).toBe(EINVAL);
    expect(errno(c.mkdir(ROOT_FID, "x".repeat(256)))).toBe(ENAMETOOLONG);
    ok(c.mkdir(ROOT_FID, "é".repeat(127)));
    expect(errno(c.mkdir(ROOT_FID, new Uint8Array([0x66, 0xff, 0x66])))).toBe(EILSEQ);
    expect(errno(c.unlinkat(ROOT_FID, "..", AT_REMOVEDIR))).toBe(EINVAL);
    expect(errno(c.symlink(ROOT_FID, "s", ""))).toBe(ENOENT);
    expect(errno(c.symlink(ROOT_FID, "s", "a\0b"))).toBe(EINVAL);
    expect(errno(c.symlink(ROOT_FID, "s", "x".repeat(4096)))).toBe(ENAMETOOLONG);
    ok(c.symlink(ROOT_FID, "s", "/".repeat(4095)));
  });

  it("EMSGSIZE when a reply cannot fit: a 4095-byte link target at msize 4096; Tread shortens to the device's buffer", () => {
    const { c, server } = mounted({ msize: 8192 });
    ok(c.symlink(ROOT_FID, "long", "t".repeat(4095)));
    ok(c.version(4096));
    ok(c.attach(ROOT_FID));
    expect(errno(c.symlink(ROOT_FID, "long2", "t".repeat(4095)))).toBe(EPROTO);
    walkTo(c, 1, "long");
    expect(errno(c.readlink(1))).toBe(EMSGSIZE);
    writeFile(c, "f", "0123456789");
    walkTo(c, 2, "f");
    ok(c.lopen(2, O_RDONLY));
    const small = { handle: (m: Uint8Array) => server.handle(m, 11 + 4) };
    const c2 = new NinepClient(small);
    expect(new TextDecoder().decode(ok(c2.read(2, 0, 100)).data)).toBe("0123");
    expect(errno(c2.getattr(2))).toBe(EMSGSIZE);
  });
});

describe("9P on a read-only share", () => {
  it("answers EROFS to every request that writes, and serves reads", () => {
    const { c, fs, server } = mounted({ server: { readOnly: true } });
    expect(server.readOnly).toBe(true);
    walkTo(c, 1, "");
    const refusals = [
      c.lcreate(1, "f", O_RDWR, 0o644), c.mkdir(ROOT_FID, "d"), c.symlink(ROOT_FID, "s", "t"), c.mknod(ROOT_FID, "p", 0o010644),
      c.link(ROOT_FID, 1, "l"), c.renameat(ROOT_FID, "a", ROOT_FID, "b"), c.rename(1, ROOT_FID, "b"), c.unlinkat(ROOT_FID, "a"),
      c.setattr(1, { valid: 1, mode: 0o700 }), c.lopen(1, O_WRONLY), c.lopen(1, O_RDWR), c.lopen(1, O_RDONLY | O_TRUNC), c.write(1, 0, "x"),
      c.remove(1),
    ];
    for (const r of refusals) expect(errno(r)).toBe(EROFS);
    expect(errno(c.getattr(1))).toBe(EBADF);
    walkTo(c, 2, "");
    ok(c.lopen(2, O_RDONLY | O_DIRECTORY));
    expect(ok(c.readdir(2, 0, 4096)).entries.map((e) => e.name)).toEqual([".", ".."]);
    ok(c.fsync(2));
    ok(c.statfs(2));
    expect(fs.usage().inodes).toBe(1);
  });
});
