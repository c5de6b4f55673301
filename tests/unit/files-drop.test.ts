// What a drop of files and folders becomes for the shared folder: DataTransfer entries read
// as Chromium hands them over (readEntries in batches until an empty one), each file under
// its folder's path, and a picker's files under their webkitRelativePath.
import { describe, expect, it } from "vitest";
import { uploadsFromEntries, uploadsFromFiles } from "../../src/page/files-drop.js";

type Tree = { [name: string]: string | Tree };

/** A FileSystemEntry tree over `tree` whose readers answer `batch` entries at a time. */
function entry(name: string, node: string | Tree, batch = 2): FileSystemEntry {
  if (typeof node === "string") {
    const file = new File([node], name);
    return { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(file) } as unknown as FileSystemEntry;
  }
  const children = Object.entries(node).map(([n, c]) => entry(n, c, batch));
  return {
    name, isFile: false, isDirectory: true,
    createReader: () => {
      let at = 0;
      return { readEntries: (ok: (e: FileSystemEntry[]) => void) => ok(children.slice(at, (at += batch))) };
    },
  } as unknown as FileSystemEntry;
}

describe("dropped files and folders", () => {
  it("reads a dropped folder's whole tree, in batches, under the folder shown", async () => {
    const album = entry("album", { "a.txt": "A", deep: { "b.txt": "B", "c.txt": "C", "d.txt": "D" }, empty: {} });
    const uploads = await uploadsFromEntries([album, entry("loose.txt", "L")], "in/");
    expect(uploads.map((u) => u.path)).toEqual(["in/album/a.txt", "in/album/deep/b.txt", "in/album/deep/c.txt", "in/album/deep/d.txt", "in/loose.txt"]);
    expect(await uploads[3]!.data.text()).toBe("D");
  });

  it("keeps a picked folder's paths", () => {
    const f = new File(["x"], "b.txt");
    Object.defineProperty(f, "webkitRelativePath", { value: "album/deep/b.txt" });
    expect(uploadsFromFiles([f, new File(["y"], "plain.txt")], "").map((u) => u.path)).toEqual(["album/deep/b.txt", "plain.txt"]);
  });
});
