// Confinement of the host directory share (src/node/host-dir-fs.ts, host-dir-paths.ts): what a
// guest (or a host that changes the share under it) tries in order to reach outside the
// shared folder. Each test checks the folder beside the share is untouched afterwards.
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseMachineDescription } from "../../src/description/parse-machine.js";
import { parseDeviceOption } from "../../src/description/device-option.js";
import { openNodeBackends } from "../../src/node/node-backends.js";
import { hostMounted, SECRET, type HostMounted } from "../support/host-dir-setup.js";
import { errno, listDir, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, ok, readFile, ROOT_FID, walkTo, writeFile } from "../support/ninep-setup.js";

const ENOENT = 2, EPERM = 1, ENOTDIR = 20, EINVAL = 22, EROFS = 30, ENAMETOOLONG = 36, ELOOP = 40;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let m: HostMounted;
afterEach(() => m?.done());

function expectOutsideUntouched(): void {
  expect(m.outsideState()).toEqual({ names: ["secret"], secret: SECRET });
}

describe("host directory share: confinement", () => {
  it("never follows a symlink the host placed to a folder outside: no walk through it, no open, readlink gives its text", () => {
    m = hostMounted();
    symlinkSync(m.outside, join(m.share, "out"));
    symlinkSync("/etc", join(m.share, "etc"));
    // Walking on past the symlink stops at it (an Rwalk of one qid: newfid is not made).
    expect(ok(m.c.walk(ROOT_FID, 1, ["out", "secret"])).qids.length).toBe(1);
    expect(errno(m.c.getattr(1))).toBe(9);
    expect(ok(m.c.walk(ROOT_FID, 1, ["etc", "passwd"])).qids.length).toBe(1);
    walkTo(m.c, 2, "out");
    expect(errno(m.c.lopen(2, O_RDONLY))).toBe(ELOOP);
    expect(errno(m.c.lcreate(2, "planted", O_RDWR, 0o644))).toBe(ENOTDIR);
    expect(errno(m.c.mkdir(2, "planted", 0o755))).toBe(ENOTDIR);
    expect(errno(m.c.symlink(2, "planted", "x"))).toBe(ENOTDIR);
    expect(ok(m.c.readlink(2)).target).toBe(m.outside);
    // Changing the symlink's attributes touches the link, never the folder it names.
    const before = statSync(m.outside).mode;
    ok(m.c.setattr(2, { valid: 0x1, mode: 0o700 }));
    expect(statSync(m.outside).mode).toBe(before);
    expect(errno(m.c.setattr(2, { valid: 0x8, size: 0 }))).toBe(EINVAL);
    expectOutsideUntouched();
  });

  it("never opens through a symlink the host placed to a file outside", () => {
    m = hostMounted();
    symlinkSync(join(m.outside, "secret"), join(m.share, "s"));
    walkTo(m.c, 1, "s");
    expect(errno(m.c.lopen(1, O_RDONLY))).toBe(ELOOP);
    expect(errno(m.c.lopen(1, O_WRONLY | O_TRUNC))).toBe(ELOOP);
    ok(m.c.fsync(1));
    // A hard link made by the guest links the symlink itself, inside the share.
    ok(m.c.link(ROOT_FID, 1, "s2"));
    expect(lstatSync(join(m.share, "s2")).isSymbolicLink()).toBe(true);
    expect(statSync(join(m.outside, "secret")).nlink).toBe(1);
    expectOutsideUntouched();
  });

  it("refuses a folder the host replaced with a symlink to outside after the guest looked it up", () => {
    m = hostMounted();
    ok(m.c.mkdir(ROOT_FID, "d", 0o755));
    walkTo(m.c, 1, "d");
    walkTo(m.c, 2, "d");
    renameSync(join(m.share, "d"), join(m.share, "d.old"));
    symlinkSync(m.outside, join(m.share, "d"));
    expect(errno(m.c.lcreate(1, "planted", O_RDWR, 0o644))).toBe(ENOENT);
    expect(errno(m.c.mkdir(2, "planted", 0o755))).toBe(ENOENT);
    expect(errno(m.c.symlink(2, "planted", "x"))).toBe(ENOENT);
    expect(errno(m.c.unlinkat(2, "secret", 0))).toBe(ENOENT);
    expect(errno(m.c.renameat(ROOT_FID, "d.old", 2, "moved"))).toBe(ENOENT);
    expect(errno(m.c.lopen(2, O_RDONLY))).toBe(ENOENT);
    expectOutsideUntouched();
    expect(existsSync(join(m.share, "d.old/planted"))).toBe(false);
  });

  it("refuses a folder the host moved out of the share, and one replaced by another folder", () => {
    m = hostMounted();
    ok(m.c.mkdir(ROOT_FID, "d", 0o755));
    ok(m.c.mkdir(ROOT_FID, "e", 0o755));
    walkTo(m.c, 1, "d");
    walkTo(m.c, 2, "e");
    renameSync(join(m.share, "d"), join(m.outside, "d"));
    expect(errno(m.c.lcreate(1, "planted", O_RDWR, 0o644))).toBe(ENOENT);
    // The old folder is kept (elsewhere) so the new one cannot reuse its inode number: a
    // reused (dev, ino) is the same folder as far as the host lets anyone tell.
    mkdirSync(join(m.share, "e.new"));
    renameSync(join(m.share, "e"), join(m.outside, "e"));
    renameSync(join(m.share, "e.new"), join(m.share, "e"));
    expect(errno(m.c.lcreate(2, "planted", O_RDWR, 0o644))).toBe(ENOENT);
    // A fresh walk finds the new folder.
    walkTo(m.c, 3, "e");
    ok(m.c.lcreate(3, "fine", O_RDWR, 0o644));
    expect(existsSync(join(m.share, "e/fine"))).toBe(true);
    expect(existsSync(join(m.outside, "d/planted"))).toBe(false);
    expect(existsSync(join(m.outside, "e/planted"))).toBe(false);
  });

  it("refuses a file the host swapped for a symlink to outside after the guest looked it up", () => {
    m = hostMounted();
    writeFile(m.c, "f", "mine");
    writeFile(m.c, "g", "mine too");
    walkTo(m.c, 1, "f");
    walkTo(m.c, 2, "g");
    renameSync(join(m.share, "f"), join(m.share, "f.old"));
    symlinkSync(join(m.outside, "secret"), join(m.share, "f"));
    expect(errno(m.c.lopen(1, O_RDWR | O_TRUNC))).toBe(ENOENT);
    expect(errno(m.c.setattr(1, { valid: 0x8, size: 0 }))).toBe(ENOENT);
    expect(errno(m.c.setattr(1, { valid: 0x1, mode: 0o777 }))).toBe(ENOENT);
    // Removed instead, its inode number may come back as the symlink's: then the kind tells.
    rmSync(join(m.share, "g"));
    symlinkSync(join(m.outside, "secret"), join(m.share, "g"));
    expect([ENOENT, ELOOP]).toContain(errno(m.c.lopen(2, O_RDWR | O_TRUNC)));
    expect([ENOENT, EINVAL]).toContain(errno(m.c.setattr(2, { valid: 0x8, size: 0 })));
    expect(readFileSync(join(m.share, "f.old"), "utf8")).toBe("mine");
    expectOutsideUntouched();
  });

  it("keeps a guest's symlink \"../../etc/passwd\" as text: walking through or opening it is refused", () => {
    m = hostMounted();
    ok(m.c.symlink(ROOT_FID, "evil", "../../etc/passwd"));
    ok(m.c.symlink(ROOT_FID, "evil-dir", "../outside"));
    expect(lstatSync(join(m.share, "evil")).isSymbolicLink()).toBe(true);
    walkTo(m.c, 1, "evil");
    expect(errno(m.c.lopen(1, O_RDONLY))).toBe(ELOOP);
    expect(ok(m.c.walk(ROOT_FID, 2, ["evil-dir", "secret"])).qids.length).toBe(1);
    expect(ok(m.c.readlink(1)).target).toBe("../../etc/passwd");
    expectOutsideUntouched();
  });

  it("takes only single names: '..', '/', '.' and over-long names are refused by rename, create and walk", () => {
    m = hostMounted();
    writeFile(m.c, "a", "x");
    for (const bad of ["..", ".", "../outside/secret", "a/b", ""]) {
      expect(m.c.renameat(ROOT_FID, "a", ROOT_FID, bad).ok).toBe(false);
      expect(m.c.lcreate(ROOT_FID, bad, O_RDWR, 0o644).ok).toBe(false);
    }
    expect(ok(m.c.walk(ROOT_FID, 1, ["..", "..", "outside"])).qids.length).toBe(2);
    expect(errno(m.c.getattr(1))).toBe(9);
    walkTo(m.c, 1, "..");
    expect(ok(m.c.getattr(1)).qid.path).toBe(ok(m.c.getattr(ROOT_FID)).qid.path);
    const weird = ["new\nline", " space ", "ünïcödé ☃", "-rf", "x".repeat(255), "\\back", "*?[]"];
    for (const name of weird) {
      ok(m.c.renameat(ROOT_FID, "a", ROOT_FID, name));
      expect(readFileSync(join(m.share, name), "utf8")).toBe("x");
      ok(m.c.renameat(ROOT_FID, name, ROOT_FID, "a"));
    }
    expect(errno(m.c.renameat(ROOT_FID, "a", ROOT_FID, "y".repeat(256)))).toBe(ENAMETOOLONG);
    expect(listDir(m.c, "")).toEqual(["a"]);
    expectOutsideUntouched();
  });

  it("a read-only share refuses every change with EROFS and leaves the host's files as they were", () => {
    m = hostMounted({ readOnly: true });
    writeFileSync(join(m.share, "f"), "original");
    mkdirSync(join(m.share, "d"));
    const before = statSync(join(m.share, "f"));
    expect(text(readFile(m.c, "f"))).toBe("original");
    walkTo(m.c, 1, "f");
    walkTo(m.c, 2, "d");
    expect(errno(m.c.lopen(1, O_RDWR))).toBe(EROFS);
    expect(errno(m.c.lopen(1, O_RDONLY | O_TRUNC))).toBe(EROFS);
    expect(errno(m.c.lcreate(2, "n", O_RDWR, 0o644))).toBe(EROFS);
    expect(errno(m.c.mkdir(2, "n", 0o755))).toBe(EROFS);
    expect(errno(m.c.symlink(2, "n", "f"))).toBe(EROFS);
    expect(errno(m.c.link(2, 1, "n"))).toBe(EROFS);
    expect(errno(m.c.renameat(ROOT_FID, "f", 2, "n"))).toBe(EROFS);
    expect(errno(m.c.unlinkat(ROOT_FID, "f", 0))).toBe(EROFS);
    expect(errno(m.c.setattr(1, { valid: 0x8, size: 0 }))).toBe(EROFS);
    ok(m.c.lopen(1, O_RDONLY));
    expect(errno(m.c.write(1, 0, "no"))).toBe(EROFS);
    expect(errno(m.c.remove(2))).toBe(EROFS);
    // The filesystem refuses on its own too, whatever server sits in front of it.
    expect(() => m.fs.write(1, 0, new Uint8Array(1))).toThrow(/errno 30/);
    expect(() => m.fs.open(m.fs.lookup(m.fs.root, "f").ino, { read: true, write: true, truncate: false })).toThrow(/errno 30/);
    const after = statSync(join(m.share, "f"));
    expect([after.size, after.mtimeMs, after.mode]).toEqual([before.size, before.mtimeMs, before.mode]);
    expect(readFileSync(join(m.share, "f"), "utf8")).toBe("original");
    expect(listDir(m.c, "d")).toEqual([]);
  });

  it("a guest cannot hard link a folder", () => {
    m = hostMounted();
    ok(m.c.mkdir(ROOT_FID, "d", 0o755));
    walkTo(m.c, 1, "d");
    expect(errno(m.c.link(ROOT_FID, 1, "d2"))).toBe(EPERM);
  });
});

describe("host directory share: opening from a machine description", () => {
  const open = (path: string) => openNodeBackends(parseMachineDescription({
    version: 1, memoryMiB: 256, cmdline: "console=ttyS0", devices: [parseDeviceOption(`virtio-9p,dir=${path}`)],
  }));

  it("names the folder and the reason when it is missing or not a folder", () => {
    m = hostMounted();
    expect(() => open(join(m.share, "nope"))).toThrow(/devices\[0\]: the shared folder ".*nope" cannot be opened: .*ENOENT/);
    writeFileSync(join(m.share, "file"), "");
    expect(() => open(join(m.share, "file"))).toThrow(/devices\[0\]: the shared folder ".*file" is not a directory/);
  });

  it("opens a folder as a share and closes it", () => {
    m = hostMounted();
    linkSync(join(m.outside, "secret"), join(m.outside, "secret-link"));
    rmSync(join(m.outside, "secret-link"));
    const opened = open(m.share);
    expect(opened.backends[0]).toMatchObject({ share: { readOnly: false } });
    opened.close();
  });
});
