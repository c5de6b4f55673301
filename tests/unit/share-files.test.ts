// The Files panel's worker calls over an in-memory OPFS: uploads land as files (folders made
// as needed), the listing hides the sidecar, a file reads back byte for byte, a folder zips
// to entries that unzip to the same bytes, and the guest's 9P view (another OpfsFs over the
// same folder) sees what the page wrote.
import { unzipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OpfsFs } from "../../src/backends/9p/opfs-fs.js";
import { shareFilesService } from "../../src/worker/share-files.js";
import { fakeOpfsRoot, FakeTreeDir } from "../support/fake-opfs.js";

let root: FakeTreeDir;
const api = shareFilesService();
const progress: [number, number][] = [];
const onProgress = (done: number, total: number) => void progress.push([done, total]);

beforeEach(() => {
  root = fakeOpfsRoot();
  progress.length = 0;
  vi.stubGlobal("navigator", { storage: { getDirectory: async () => root } });
});
afterEach(() => vi.unstubAllGlobals());

const blob = (s: string | Uint8Array<ArrayBuffer>) => new Blob([typeof s === "string" ? new TextEncoder().encode(s) : s]);
const text = async (b: Blob) => new TextDecoder().decode(await b.arrayBuffer());

describe("shared folder calls of the Files panel", () => {
  it("writes files and folders, lists them and reads them back", async () => {
    const big = new Uint8Array(2.5 * (1 << 20)).map((_, i) => (i * 31) & 255);
    await api.writeShareFiles("shared", [{ path: "notes.txt", data: blob("hi") }, { path: "pics/a/b.bin", data: blob(big) }], onProgress);
    expect(progress.at(-1)).toEqual([big.length + 2, big.length + 2]);
    expect(progress.length).toBeGreaterThan(3);
    const top = await api.listShare("shared", "");
    expect(top.map((e) => [e.name, e.kind, e.size])).toEqual([["notes.txt", "file", 2], ["pics", "dir", 0]]);
    expect((await api.listShare("shared", "pics/a")).map((e) => e.name)).toEqual(["b.bin"]);
    const back = new Uint8Array(await (await api.readShareFile("shared", "pics/a/b.bin", onProgress)).arrayBuffer());
    expect(Buffer.compare(back, big)).toBe(0);
    // Writing again replaces the file's contents (shorter: no old bytes left behind).
    await api.writeShareFiles("shared", [{ path: "pics/a/b.bin", data: blob("short") }], onProgress);
    expect(await text(await api.readShareFile("shared", "pics/a/b.bin", onProgress))).toBe("short");
  });

  it("refuses names that leave the folder or take the sidecar's", async () => {
    await expect(api.writeShareFiles("shared", [{ path: "../escape", data: blob("x") }], onProgress)).rejects.toThrow(/cannot be a name/);
    await expect(api.writeShareFiles("shared", [{ path: ".ringside-meta.json", data: blob("x") }], onProgress)).rejects.toThrow(/reserved/);
    await expect(api.readShareFile("shared", "missing", onProgress)).rejects.toThrow(/missing: no such file/);
  });

  it("zips a folder with fflate: every file and folder, the bytes unchanged", async () => {
    await api.writeShareFiles("shared", [{ path: "out/a.txt", data: blob("alpha") }, { path: "out/sub/b.txt", data: blob("beta") }, { path: "out/empty.txt", data: blob("") }], onProgress);
    const zip = unzipSync(new Uint8Array(await (await api.zipShareFolder("shared", "out", onProgress)).arrayBuffer()));
    expect(Object.keys(zip).sort()).toEqual(["a.txt", "empty.txt", "sub/", "sub/b.txt"]);
    expect(new TextDecoder().decode(zip["sub/b.txt"])).toBe("beta");
    expect(new TextDecoder().decode(zip["a.txt"])).toBe("alpha");
    await expect(api.zipShareFolder("shared", "out/a.txt", onProgress)).rejects.toThrow(/not a folder/);
  });

  it("what the page writes is what a 9P view of the same folder finds", async () => {
    await api.writeShareFiles("shared", [{ path: "d/f.txt", data: blob("from the page") }], onProgress);
    const fs = await OpfsFs.open(await root.getDirectoryHandle("shared"));
    const d = await fs.lookup(fs.root, "d");
    const f = await fs.lookup(d.ino, "f.txt");
    expect(new TextDecoder().decode(await fs.read(f.ino, 0, 100))).toBe("from the page");
    expect(f.mode).toBe(0o100644);
  });
});
