// The 9P server over a host directory (src/node/host-dir-fs.ts), driven with real 9P messages
// from the test-side client, and checked on the host with node:fs: what v9fs does in daily
// use lands on the host as the same bytes, names, links and attributes.
import { linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hostMounted, type HostMounted } from "../support/host-dir-setup.js";
import { AT_REMOVEDIR, errno, listDir, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, ok, readFile, ROOT_FID, walkTo, writeFile } from "../support/ninep-setup.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;
const GiB = 1024 ** 3;
// setattr valid bits (include/net/9p/9p.h).
const MODE = 0x1, SIZE = 0x8, ATIME = 0x10, MTIME = 0x20, ATIME_SET = 0x80, MTIME_SET = 0x100;

let m: HostMounted;
afterEach(() => m?.done());

describe("host directory share: files and folders", () => {
  it("creates, writes and reads files; the host sees the same bytes, and the guest what the host wrote", () => {
    m = hostMounted();
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    writeFile(m.c, "a.bin", bytes);
    expect(Buffer.compare(readFileSync(join(m.share, "a.bin")), Buffer.from(bytes))).toBe(0);
    expect(Buffer.compare(Buffer.from(readFile(m.c, "a.bin", 65000)), Buffer.from(bytes))).toBe(0);
    writeFileSync(join(m.share, "host.txt"), "from the host");
    expect(text(readFile(m.c, "host.txt"))).toBe("from the host");
    // Tlcreate refuses a name that is taken; O_TRUNC empties.
    walkTo(m.c, 1, "");
    expect(errno(m.c.lcreate(1, "host.txt", O_RDWR, 0o644))).toBe(17);
    walkTo(m.c, 2, "host.txt");
    ok(m.c.lopen(2, O_WRONLY | O_TRUNC));
    expect(statSync(join(m.share, "host.txt")).size).toBe(0);
  });

  it("creates with the exact mode asked (the host's umask undone), and a 0444 file still opens for writing at creation", () => {
    m = hostMounted();
    walkTo(m.c, 1, "");
    ok(m.c.lcreate(1, "ro.txt", O_RDWR, 0o444));
    ok(m.c.write(1, 0, "written"));
    ok(m.c.clunk(1));
    expect(statSync(join(m.share, "ro.txt")).mode & 0o7777).toBe(0o444);
    expect(readFileSync(join(m.share, "ro.txt"), "utf8")).toBe("written");
    ok(m.c.mkdir(ROOT_FID, "d", 0o777));
    expect(statSync(join(m.share, "d")).mode & 0o7777).toBe(0o777);
  });

  it("makes folders, renames across them, unlinks and removes folders", () => {
    m = hostMounted();
    expect(ok(m.c.mkdir(ROOT_FID, "d1", 0o755)).qid.type).toBe(0x80);
    ok(m.c.mkdir(ROOT_FID, "d2", 0o755));
    writeFile(m.c, "d1/f", "moving");
    walkTo(m.c, 1, "d1");
    walkTo(m.c, 2, "d2");
    ok(m.c.renameat(1, "f", 2, "g"));
    expect(readFileSync(join(m.share, "d2/g"), "utf8")).toBe("moving");
    expect(text(readFile(m.c, "d2/g"))).toBe("moving");
    // A folder moves with what is under it; the guest's fids for it follow.
    ok(m.c.renameat(ROOT_FID, "d2", 1, "inner"));
    expect(readFileSync(join(m.share, "d1/inner/g"), "utf8")).toBe("moving");
    walkTo(m.c, 3, "d1/inner/g");
    expect(ok(m.c.getattr(2)).mode & S_IFMT).toBe(S_IFDIR);
    expect(errno(m.c.renameat(ROOT_FID, "d1", 2, "loop"))).toBe(22);
    expect(errno(m.c.unlinkat(1, "inner", AT_REMOVEDIR))).toBe(39);
    expect(errno(m.c.unlinkat(1, "inner", 0))).toBe(21);
    ok(m.c.unlinkat(2, "g", 0));
    ok(m.c.unlinkat(1, "inner", AT_REMOVEDIR));
    expect(() => lstatSync(join(m.share, "d1/inner"))).toThrow(/ENOENT/);
    expect(errno(m.c.getattr(3))).toBe(2);
  });

  it("reads a file that was unlinked while open, through its descriptor", () => {
    m = hostMounted();
    writeFile(m.c, "gone", "still here");
    walkTo(m.c, 1, "gone");
    ok(m.c.lopen(1, O_RDONLY));
    ok(m.c.unlinkat(ROOT_FID, "gone", 0));
    expect(text(ok(m.c.read(1, 0, 100)).data)).toBe("still here");
    expect(ok(m.c.getattr(1)).nlink).toBe(0n);
  });

  it("lists a folder of 3,000 entries in pages, each once, with the right types", () => {
    m = hostMounted();
    mkdirSync(join(m.share, "big"));
    const names: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const name = `file-${String(i).padStart(4, "0")}-${"x".repeat(i % 40)}`;
      names.push(name);
      writeFileSync(join(m.share, "big", name), "");
    }
    mkdirSync(join(m.share, "big/sub"));
    const listed = listDir(m.c, "big", 4096);
    expect(listed.length).toBe(3001);
    expect(new Set(listed).size).toBe(3001);
    expect([...listed].sort()).toEqual([...names, "sub"].sort());
    walkTo(m.c, 1, "big");
    ok(m.c.lopen(1, O_RDONLY));
    const types = new Map<string, number>();
    for (let offset = 0n; ; ) {
      const { entries } = ok(m.c.readdir(1, offset, 65000));
      if (entries.length === 0) break;
      for (const e of entries) types.set(e.name, e.type);
      offset = entries[entries.length - 1]!.offset;
    }
    expect(types.get("sub")).toBe(4);
    expect(types.get(names[0]!)).toBe(8);
    expect(types.get("..")).toBe(4);
  });

  it("makes symlinks that hold their text, reads host-made ones, and hard links", () => {
    m = hostMounted();
    expect(ok(m.c.symlink(ROOT_FID, "l", "some/where/../else")).qid.type).toBe(0x02);
    expect(readlinkSync(join(m.share, "l"))).toBe("some/where/../else");
    symlinkSync("/etc/passwd", join(m.share, "hostlink"));
    walkTo(m.c, 1, "hostlink");
    expect(ok(m.c.readlink(1)).target).toBe("/etc/passwd");
    expect(ok(m.c.getattr(1)).mode & S_IFMT).toBe(S_IFLNK);
    writeFile(m.c, "orig", "linked");
    walkTo(m.c, 2, "orig");
    ok(m.c.mkdir(ROOT_FID, "d", 0o755));
    walkTo(m.c, 3, "d");
    ok(m.c.link(3, 2, "second"));
    expect(statSync(join(m.share, "d/second")).ino).toBe(statSync(join(m.share, "orig")).ino);
    expect(ok(m.c.getattr(2)).nlink).toBe(2n);
    walkTo(m.c, 4, "d/second");
    expect(ok(m.c.getattr(4)).qid.path).toBe(ok(m.c.getattr(2)).qid.path);
    expect(errno(m.c.link(ROOT_FID, 3, "dirlink"))).toBe(1);
  });

  it("sets size, mode and times; statfs and fsync answer", () => {
    m = hostMounted();
    writeFile(m.c, "f", "0123456789");
    walkTo(m.c, 1, "f");
    ok(m.c.setattr(1, { valid: SIZE, size: 4 }));
    expect(readFileSync(join(m.share, "f"), "utf8")).toBe("0123");
    ok(m.c.setattr(1, { valid: MODE, mode: 0o600 }));
    expect(statSync(join(m.share, "f")).mode & 0o7777).toBe(0o600);
    ok(m.c.setattr(1, { valid: ATIME | ATIME_SET | MTIME | MTIME_SET, atime: [1_000_000_000, 0], mtime: [1_200_000_000, 500_000_000] }));
    const s = statSync(join(m.share, "f"));
    expect(s.atimeMs).toBe(1_000_000_000_000);
    expect(s.mtimeMs).toBe(1_200_000_000_500);
    const a = ok(m.c.getattr(1));
    expect(a.mtime).toEqual([1_200_000_000n, 500_000_000n]);
    expect(a.mode & S_IFMT).toBe(S_IFREG);
    ok(m.c.setattr(1, { valid: MTIME }));
    expect(Math.abs(statSync(join(m.share, "f")).mtimeMs - Date.now())).toBeLessThan(10_000);
    walkTo(m.c, 2, "");
    expect(errno(m.c.setattr(2, { valid: SIZE, size: 0 }))).toBe(21);
    const st = ok(m.c.statfs(ROOT_FID));
    expect(st.bsize).toBeGreaterThan(0);
    expect(st.namelen).toBe(255);
    ok(m.c.fsync(1));
    ok(m.c.lopen(1, O_RDWR));
    ok(m.c.fsync(1, 1));
    ok(m.c.fsync(ROOT_FID));
  });

  it("writes and reads at offsets past 4 GiB: a sparse file of 5 GiB and a bit", () => {
    m = hostMounted();
    walkTo(m.c, 1, "");
    ok(m.c.lcreate(1, "sparse", O_RDWR, 0o644));
    const at = 5 * GiB + 123;
    expect(ok(m.c.write(1, at, "far away")).count).toBe(8);
    expect(text(ok(m.c.read(1, at, 100)).data)).toBe("far away");
    expect(ok(m.c.read(1, 4 * GiB, 16)).data).toEqual(new Uint8Array(16));
    expect(ok(m.c.getattr(1)).size).toBe(BigInt(at + 8));
    const host = statSync(join(m.share, "sparse"));
    expect(host.size).toBe(at + 8);
    expect(host.blocks * 512).toBeLessThan(1024 * 1024);
    ok(m.c.setattr(1, { valid: SIZE, size: 6 * GiB }));
    expect(statSync(join(m.share, "sparse")).size).toBe(6 * GiB);
  });

  it("sees a hard link the host made as the same inode", () => {
    m = hostMounted();
    writeFileSync(join(m.share, "a"), "one");
    linkSync(join(m.share, "a"), join(m.share, "b"));
    walkTo(m.c, 1, "a");
    walkTo(m.c, 2, "b");
    expect(ok(m.c.getattr(1)).qid.path).toBe(ok(m.c.getattr(2)).qid.path);
  });
});
