// Fuzz (c): confinement. The share is the directory "share" of a larger memory filesystem
// whose other entries ("secret", a directory with a file, and the real root) stand for the
// host outside the share. The server sees the share through a filesystem that records every
// inode it is given or hands out; a request built from hostile names ('..', '.', '/', NUL,
// empty, absurd lengths, look-alikes) and symlink or hard-link tricks must never touch an
// outside inode, and the outside stays as it was. Every reply is checked by the client.
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import type { FsAttr, NinepFs } from "../../src/backends/9p/ninep-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { NinepClient } from "./ninep-client.js";
import type { Pick } from "./ninep-fuzz-ops.js";

const HOSTILE = [
  "..", ".", "", "/", "//", "../secret", "a/../../secret", "/secret", "secret", "share", "\0", "a\0b", "..\0",
  "x".repeat(255), "x".repeat(256), "x".repeat(4096), "x".repeat(65535), "..\\..", "%2e%2e", "\u2025", "\uff0e\uff0e",
  " ..", ".. ", "...", "a", "b", "l",
];
const TARGETS = ["../secret", "../../secret/key", "/", "/etc/passwd", "..", "a/../../..", "x".repeat(4095)];
const BATCH = 200;

interface Rig {
  server: NinepServer;
  c: NinepClient;
  fs: MemoryFs;
  outside: Set<number>;
  touched: number[];
  secretKey: number;
}

let rig: Rig | undefined;

/** A NinepFs whose root is `root`, recording every inode crossing the interface. */
function recorded(fs: MemoryFs, root: number, touched: number[]): NinepFs {
  const see = (ino: number) => void touched.push(ino);
  const attr = (a: FsAttr) => (see(a.ino), a);
  return {
    root,
    lookup: (d, n) => (see(d), attr(fs.lookup(d, n))),
    parent: (d) => (see(d), attr(fs.parent(d))),
    getattr: (i) => (see(i), attr(fs.getattr(i))),
    setattr: (i, ch) => (see(i), attr(fs.setattr(i, ch))),
    open: (i, f) => (see(i), attr(fs.open(i, f))),
    release: (i) => (see(i), fs.release(i)),
    read: (i, o, n) => (see(i), fs.read(i, o, n)),
    write: (i, o, d) => (see(i), fs.write(i, o, d)),
    create: (d, n, m, o) => (see(d), attr(fs.create(d, n, m, o))),
    mkdir: (d, n, m, o) => (see(d), attr(fs.mkdir(d, n, m, o))),
    symlink: (d, n, t, o) => (see(d), attr(fs.symlink(d, n, t, o))),
    mknod: (d, n, m, o) => (see(d), attr(fs.mknod(d, n, m, o))),
    link: (d, n, t) => (see(d), see(t), fs.link(d, n, t)),
    rename: (a, x, b, y) => (see(a), see(b), fs.rename(a, x, b, y)),
    unlink: (d, n, r) => (see(d), fs.unlink(d, n, r)),
    readdir: (d, c, m) => (see(d), fs.readdir(d, c, m).map((e) => (see(e.ino), e))),
    readlink: (i) => (see(i), fs.readlink(i)),
    statfs: () => fs.statfs(),
    fsync: (i) => (see(i), fs.fsync(i)),
  };
}

function freshRig(): Rig {
  const fs = new MemoryFs();
  const owner = { uid: 0, gid: 0 };
  const share = fs.mkdir(fs.root, "share", 0o755, owner).ino;
  const secret = fs.mkdir(fs.root, "secret", 0o700, owner).ino;
  const key = fs.create(secret, "key", 0o600, owner).ino;
  fs.write(key, 0, new TextEncoder().encode("outside"));
  const touched: number[] = [];
  const server = new NinepServer(recorded(fs, share, touched), { maxFids: 32, maxOpen: 8 });
  const c = new NinepClient(server);
  c.version(131072);
  c.attach(0);
  return { server, c, fs, outside: new Set([fs.root, secret, key]), touched, secretKey: key };
}

/** One hostile request, then the checks: nothing outside was touched, and it is unchanged. */
export function confinementCase(p: Pick, i: number): void {
  if (rig === undefined || i % BATCH === 0) rig = freshRig();
  const { c, fs, outside, touched } = rig;
  const name = () => p.of(HOSTILE);
  const fid = () => p.int(6);
  const kind = p.int(9);
  touched.length = 0;
  if (kind <= 2) {
    const names = Array.from({ length: 1 + p.int(16) }, () => (p.chance(0.6) ? ".." : name()));
    const r = c.walk(fid(), fid() + 1, names);
    if (r.ok && r.qids.some((q) => outside.has(Number(q.path)))) throw new Error(`case ${i}: walk [${names.join(",")}] reached outside`);
  } else if (kind === 3) c.mkdir(fid(), name());
  else if (kind === 4) c.lcreate(fid(), name(), 2, 0o644);
  else if (kind === 5) c.symlink(fid(), name(), p.of(TARGETS));
  else if (kind === 6) c.link(fid(), fid(), name());
  else if (kind === 7) c.renameat(fid(), name(), fid(), name());
  else if (p.chance(0.5)) c.unlinkat(fid(), name(), p.of([0, 0x200]));
  else c.readdir(fid(), 0, 8192);
  if (p.chance(0.05)) c.clunk(1 + p.int(6));
  const escaped = touched.find((ino) => outside.has(ino));
  if (escaped !== undefined) throw new Error(`case ${i}: the server touched inode ${escaped}, outside the share`);
  if (i % 50 === 49) checkOutside(fs, rig.secretKey, i);
}

function checkOutside(fs: MemoryFs, key: number, i: number): void {
  const top = fs.readdir(fs.root, 0, 10).map((e) => e.name).sort();
  const secret = fs.lookup(fs.root, "secret").ino;
  const inside = fs.readdir(secret, 0, 10).map((e) => e.name);
  const text = new TextDecoder().decode(fs.read(key, 0, 100));
  if (top.join() !== "secret,share" || inside.join() !== "key" || text !== "outside") {
    throw new Error(`case ${i}: outside the share changed: [${top.join()}] [${inside.join()}] ${text}`);
  }
}
