// The 9P server over a filesystem that answers later (Promises, as the browser's storage):
// the same replies as over a synchronous one, a synchronous filesystem's replies are never
// Promises, the returned Promise never rejects, and a request that finishes after its fid
// was clunked or the session reset leaves nothing open behind it.
import { describe, expect, it } from "vitest";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { FsError } from "../../src/backends/9p/ninep-errno.js";
import type { NinepFs } from "../../src/backends/9p/ninep-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { deferredFs, Gate } from "../support/ninep-async-fs.js";
import { NinepClient } from "../support/ninep-client.js";
import { O_RDONLY, O_RDWR, ok } from "../support/ninep-setup.js";
import { message } from "../support/ninep-wire-test.js";

/** Tversion and Tattach of fid 0; a held `gate` is opened for them (Tattach reads the root's attributes). */
async function session(fs: NinepFs, log: string[] = [], gate?: Gate) {
  const server = new NinepServer(fs, { log: (m) => log.push(m) });
  const c = new NinepClient(server, "async");
  ok(await c.version(65536));
  ok(await (gate === undefined ? c.attach(0, 1000) : gateThrough(gate, c.attach(0, 1000))));
  return { server, c };
}

/** One script of requests, run against a client of either kind. */
async function script(c: NinepClient<"sync"> | NinepClient<"async">): Promise<unknown[]> {
  const out: unknown[] = [];
  const r = async <T>(x: T | Promise<T>) => {
    const v = await x;
    out.push(v);
    return v;
  };
  await r(c.mkdir(0, "d", 0o755, 5));
  await r(c.walk(0, 1, ["d"]));
  await r(c.lcreate(1, "f", O_RDWR, 0o600));
  await r(c.write(1, 3, "abc"));
  await r(c.read(1, 0, 100));
  await r(c.clunk(1));
  await r(c.walk(0, 2, ["d", "f", "x"]));
  await r(c.walk(0, 2, ["d", "..", "d", "f"]));
  await r(c.getattr(2));
  await r(c.symlink(0, "s", "d/f"));
  await r(c.link(0, 2, "hard"));
  await r(c.renameat(0, "hard", 0, "hard2"));
  await r(c.walk(0, 3, []));
  await r(c.lopen(3, O_RDONLY));
  await r(c.readdir(3, 0, 8192));
  await r(c.unlinkat(0, "d", 0x200));
  await r(c.statfs(0));
  return out;
}

describe("9P over an asynchronous filesystem", () => {
  it("gives the same replies as over the synchronous one", async () => {
    const now = () => 1_700_000_000_000;
    const syncServer = new NinepServer(new MemoryFs({ now }));
    const syncClient = new NinepClient(syncServer);
    ok(syncClient.version(65536));
    ok(syncClient.attach(0, 1000));
    const { c } = await session(deferredFs(new MemoryFs({ now })));
    expect(await script(c)).toEqual(await script(syncClient));
  });

  it("a synchronous filesystem's replies are plain bytes, never Promises", () => {
    const server = new NinepServer(new MemoryFs());
    const reply = server.handle(message(100, 0xffff, [["u32", 8192], ["s", "9P2000.L"]]));
    expect(reply).toBeInstanceOf(Uint8Array);
  });

  it("a filesystem that throws or rejects with something else than FsError: EIO, logged, never a rejection", async () => {
    const fs = new MemoryFs();
    const log: string[] = [];
    // Broken only after Tattach, which needs the root's attributes.
    let broken = false;
    const faulty: NinepFs = {
      ...deferredFs(fs), root: fs.root,
      getattr: (ino) => (broken ? Promise.reject(new Error("disk on fire")) : fs.getattr(ino)),
      statfs: () => { throw new TypeError("bug"); },
      mkdir: () => Promise.reject(new FsError(28)),
    };
    const { c } = await session(faulty, log);
    broken = true;
    expect(await c.getattr(0)).toEqual({ ok: false, errno: 5 });
    expect(await c.statfs(0)).toEqual({ ok: false, errno: 5 });
    expect(await c.mkdir(0, "x")).toEqual({ ok: false, errno: 28 });
    expect(log.join("\n")).toMatch(/Tgetattr failed: Error: disk on fire/);
    expect(log.join("\n")).toMatch(/Tstatfs failed: TypeError: bug/);
    expect(log.join("\n")).not.toMatch(/Tmkdir/);
  });

  it("an open that completes after its fid was clunked is released", async () => {
    const fs = new MemoryFs();
    const gate = new Gate();
    const { server, c } = await session(deferredFs(fs, gate.pass), [], gate);
    ok(await gateThrough(gate, c.walk(0, 1, [])));
    ok(await gateThrough(gate, c.lcreate(1, "f", O_RDWR, 0o644)));
    ok(await gateThrough(gate, c.clunk(1)));
    ok(await gateThrough(gate, c.walk(0, 5, ["f"])));
    const open = c.lopen(5, O_RDONLY);
    while (gate.held === 0) await Promise.resolve();
    // Tclunk of an unopened fid needs nothing of the filesystem: answered while the open waits.
    expect(await c.clunk(5)).toEqual({ ok: true });
    expect(await gateThrough(gate, open)).toEqual({ ok: false, errno: 9 });
    expect(server.stats()).toMatchObject({ fids: 1, openFids: 0 });
    // Released: removing the last name frees the inode at once (an open inode would stay).
    const inodes = fs.usage().inodes;
    ok(await gateThrough(gate, c.unlinkat(0, "f")));
    expect(fs.usage().inodes).toBe(inodes - 1);
  });

  it("reset while requests wait: they complete into nothing, and their opens are released", async () => {
    const fs = new MemoryFs();
    const gate = new Gate();
    const { server, c } = await session(deferredFs(fs, gate.pass), [], gate);
    ok(await gateThrough(gate, c.lcreate(0, "f", O_RDWR, 0o644)));
    ok(await gateThrough(gate, c.attach(1)));
    ok(await gateThrough(gate, c.walk(1, 2, ["f"])));
    const pending = c.lopen(2, O_RDONLY);
    while (gate.held === 0) await Promise.resolve();
    server.reset();
    expect((await gateThrough(gate, pending)).ok).toBe(false);
    // The releases (fid 0's open, ended by the reset; fid 2's late open) wait on the gate too.
    for (let i = 0; i < 5; i++) {
      gate.open();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(gate.held).toBe(0);
    expect(server.stats()).toMatchObject({ fids: 0, openFids: 0 });
    const inodes = fs.usage().inodes;
    fs.unlink(fs.root, "f", false);
    expect(fs.usage().inodes).toBe(inodes - 1);
  });
});

/** Awaits `p`, opening `gate` each time something waits on it. */
async function gateThrough<T>(gate: Gate, p: Promise<T>): Promise<T> {
  let done = false;
  const result = p.finally(() => (done = true));
  while (!done) {
    gate.open();
    await new Promise((r) => setTimeout(r, 0));
  }
  return result;
}
