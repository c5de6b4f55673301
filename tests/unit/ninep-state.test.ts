// Saved state of the 9P server: a session (msize, fids by their paths from the share's root,
// open modes) survives a save and a restore into a new server over the same files, fids
// follow renames made before the save, a fid whose file went answers ESTALE, and a bad state
// throws naming its field without touching the running session.
import { describe, expect, it } from "vitest";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { StateReader, type PlainData } from "../../src/snapshot/state-reader.js";
import { deferredFs, Gate } from "../support/ninep-async-fs.js";
import { NinepClient } from "../support/ninep-client.js";
import { AT_REMOVEDIR, errno, mounted, O_DIRECTORY, O_RDONLY, O_RDWR, ok, ROOT_FID, walkTo, writeFile } from "../support/ninep-setup.js";

const ESTALE = 116, EPROTO = 71, EBADF = 9;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** The state as it would come back from a file: through JSON, so nothing is shared. */
function reread(state: PlainData): StateReader {
  return new StateReader(JSON.parse(JSON.stringify(state)) as unknown, "", "9p state");
}

function restored(fs: MemoryFs, state: PlainData, logs: string[] = []) {
  const server = new NinepServer(fs, { log: (m) => logs.push(m) });
  server.restoreState(reread(state));
  return { server, c: new NinepClient(server) };
}

describe("9P saved state", () => {
  it("round trip: msize, fids by path, open modes; the restored fids read, write and list", () => {
    const { c, fs, server } = mounted({ msize: 32768 });
    ok(c.mkdir(ROOT_FID, "d"));
    writeFile(c, "d/f", "hello");
    walkTo(c, 1, "d/f");
    ok(c.lopen(1, O_RDWR));
    walkTo(c, 2, "d");
    ok(c.lopen(2, O_RDONLY | O_DIRECTORY));
    ok(c.walk(ROOT_FID, 3, ["d", "..", "d"]));
    const state = server.saveState();
    expect(state).toMatchObject({ session: { version: "9P2000.L", msize: 32768 } });
    const { server: s2, c: c2 } = restored(fs, state);
    expect(s2.stats()).toMatchObject({ msize: 32768, fids: 4, openFids: 2 });
    expect(text(ok(c2.read(1, 0, 100)).data)).toBe("hello");
    ok(c2.write(1, 5, " world"));
    expect(text(ok(c2.read(1, 0, 100)).data)).toBe("hello world");
    expect(ok(c2.readdir(2, 0, 4096)).entries.map((e) => e.name)).toEqual([".", "..", "f"]);
    expect(ok(c2.walk(3, 4, ["f"])).qids).toHaveLength(1);
    // A fid restored by its path has a name again: Tremove works on it.
    ok(c2.remove(4));
    expect(ok(c2.getattr(1)).nlink).toBe(0n);
    // An unopened fid stays unopened.
    expect(errno(c2.read(3, 0, 1))).toBe(EBADF);
  });

  it("fids follow renames and unlinks made before the save", () => {
    const { c, fs, server } = mounted();
    ok(c.mkdir(ROOT_FID, "a"));
    ok(c.mkdir(ROOT_FID, "x"));
    ok(c.mkdir(ROOT_FID, "y"));
    writeFile(c, "a/f", "one");
    writeFile(c, "a/g", "two");
    walkTo(c, 1, "a/f");
    walkTo(c, 2, "a/g");
    walkTo(c, 3, "a");
    walkTo(c, 5, "x");
    walkTo(c, 6, "y");
    ok(c.renameat(ROOT_FID, "a", 5, "b"));
    ok(c.rename(2, 3, "h"));
    ok(c.unlinkat(ROOT_FID, "y", AT_REMOVEDIR));
    writeFile(c, "y", "not the directory");
    const { c: c2 } = restored(fs, server.saveState());
    ok(c2.lopen(1, O_RDONLY));
    expect(text(ok(c2.read(1, 0, 10)).data)).toBe("one");
    ok(c2.lopen(2, O_RDONLY));
    expect(text(ok(c2.read(2, 0, 10)).data)).toBe("two");
    expect(ok(c2.getattr(3)).mode & 0o170000).toBe(0o040000);
    expect(ok(c2.walk(5, 7, ["b", "h"])).qids).toHaveLength(2);
    // fid 6 named a directory that was removed: a new file of that name is another file.
    expect(errno(c2.getattr(6))).toBe(ESTALE);
  });

  it("a fid whose file is gone after the save answers ESTALE, and clunks", () => {
    const { c, fs, server } = mounted();
    writeFile(c, "f", "x");
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDONLY));
    walkTo(c, 2, "f");
    const state = server.saveState();
    ok(c.clunk(1));
    fs.unlink(fs.root, "f", false);
    const logs: string[] = [];
    const { server: s2, c: c2 } = restored(fs, state, logs);
    for (const fid of [1, 2]) {
      expect(errno(c2.getattr(fid))).toBe(ESTALE);
      expect(errno(c2.walk(fid, 9, []))).toBe(ESTALE);
    }
    expect(errno(c2.read(1, 0, 1))).toBe(ESTALE);
    expect(s2.stats()).toMatchObject({ fids: 3, openFids: 0 });
    expect(logs.join("\n")).toMatch(/restored 3 fids; 2 no longer found/);
    ok(c2.clunk(1));
    ok(c2.walk(ROOT_FID, 1, []));
    // Tremove clunks a stale fid too, answering ESTALE.
    expect(errno(c2.remove(2))).toBe(ESTALE);
    expect(errno(c2.clunk(2))).toBe(EBADF);
  });

  it("an open file that lost its name before the save is restored stale", () => {
    const { c, fs, server } = mounted();
    writeFile(c, "tmp", "x");
    walkTo(c, 1, "tmp");
    ok(c.lopen(1, O_RDWR));
    ok(c.unlinkat(ROOT_FID, "tmp"));
    writeFile(c, "tmp", "another file");
    const state = server.saveState();
    expect(JSON.stringify(state)).toContain('"path":null');
    const { c: c2 } = restored(fs, state);
    expect(errno(c2.read(1, 0, 10))).toBe(ESTALE);
  });

  it("the restored opens are real: a file removed while a restored fid holds it open lives until the clunk", () => {
    const { c, fs, server } = mounted();
    writeFile(c, "f", "x");
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDONLY));
    const state = server.saveState();
    const { c: c2 } = restored(fs, state);
    ok(c.clunk(1)); // the first server lets go of its open
    const inodes = fs.usage().inodes;
    ok(c2.unlinkat(ROOT_FID, "f"));
    expect(fs.usage().inodes).toBe(inodes);
    ok(c2.clunk(1));
    expect(fs.usage().inodes).toBe(inodes - 1);
  });

  it("no session saved: the restored server wants Tversion first", () => {
    const fs = new MemoryFs();
    const state = new NinepServer(fs).saveState();
    expect(state).toEqual({ session: null });
    const { c } = restored(fs, state);
    expect(errno(c.getattr(0))).toBe(EPROTO);
  });

  it("a bad state throws naming the field, and the running session is untouched", () => {
    const { c, server } = mounted();
    walkTo(c, 1, "");
    const good = JSON.parse(JSON.stringify(server.saveState())) as { session: { msize: number; fids: Record<string, unknown>[] } };
    const bad: [string, (s: typeof good) => void, RegExp][] = [
      ["msize", (s) => { s.session.msize = 100; }, /session\.msize must be an integer from 4096/],
      ["duplicate fid", (s) => { s.session.fids[1]!.fid = s.session.fids[0]!.fid; }, /fids\[1\]\.fid must be a fid number not used/],
      ["..", (s) => { s.session.fids[0]!.path = "a/../.."; }, /fids\[0\]\.path must be a path of names/],
      ["absolute", (s) => { s.session.fids[0]!.path = "/etc"; }, /fids\[0\]\.path must be a path of names/],
      ["NUL", (s) => { s.session.fids[0]!.path = "a\0b"; }, /fids\[0\]\.path/],
      ["long name", (s) => { s.session.fids[0]!.path = "x".repeat(256); }, /fids\[0\]\.path/],
      ["open", (s) => { s.session.fids[0]!.open = "x"; }, /fids\[0\]\.open must be one of "r", "w", "rw"/],
      ["extra", (s) => { s.session.fids[0]!.ino = 5; }, /fids\[0\]\.ino must be absent/],
      ["uid", (s) => { s.session.fids[0]!.uid = -1; }, /fids\[0\]\.uid must be an integer/],
      ["version", (s) => { (s.session as Record<string, unknown>).version = "9P2000.u"; }, /session\.version must be one of "9P2000.L"/],
    ];
    for (const [what, spoil, message] of bad) {
      const state = structuredClone(good);
      spoil(state);
      expect(() => server.restoreState(new StateReader(state, "", "9p state")), what).toThrow(message);
    }
    expect(() => server.restoreState(new StateReader({ session: { version: "9P2000.L", msize: 8192, fids: Array(16385).fill(null) } }, "", "9p")))
      .toThrow(/fids must be an array of at most 16384/);
    expect(server.stats()).toMatchObject({ msize: 65536, fids: 2 });
    ok(c.getattr(1));
  });

  it("over an asynchronous filesystem, requests wait until the fids are found again", async () => {
    const { c, fs, server } = mounted();
    writeFile(c, "f", "later");
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDONLY));
    const gate = new Gate();
    const s2 = new NinepServer(deferredFs(fs, gate.pass));
    s2.restoreState(reread(server.saveState()));
    // Saved again before the fids are found: the same session, nothing lost.
    expect(s2.saveState()).toEqual(server.saveState());
    const c2 = new NinepClient(s2, "async");
    const read = c2.read(1, 0, 10);
    let settled = false;
    void read.then(() => (settled = true));
    for (let i = 0; i < 20 && !settled; i++) {
      gate.open();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(text(ok(await read).data)).toBe("later");
    expect(s2.stats()).toMatchObject({ fids: 2, openFids: 1 });
  });
});
