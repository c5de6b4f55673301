// The shared folder's sidecar (modes, owners, symlinks) across the end of a worker: a page
// reload ends the previous worker wherever it is. The next worker finds the sidecar still
// held by the previous one and waits for it instead of starting afresh (which would have
// written an empty table over the real one), and a sidecar cut short in the middle of a
// rewrite is read from the spare copy written whole before it. Both files stay hidden.
import { describe, expect, it } from "vitest";
import { EACCES } from "../../src/backends/9p/opfs-handles.js";
import { ENOENT } from "../../src/backends/9p/ninep-errno.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { OpfsFs } from "../../src/backends/9p/opfs-fs.js";
import { META_NAME, META_SPARE_NAME } from "../../src/backends/9p/opfs-meta.js";
import { fakeOpfsRoot, FakeTreeFile, type FakeTreeDir } from "../support/fake-opfs.js";
import { NinepClient, type Reply } from "../support/ninep-client.js";
import { O_RDWR } from "../support/ninep-setup.js";

type Client = NinepClient<"async">;

async function ok<R>(p: Promise<Reply<R>>): Promise<R> {
  const r = await p;
  if (!r.ok) throw new Error(`expected success, got errno ${r.errno}`);
  return r;
}

async function mount(root: FakeTreeDir, logs: string[] = []) {
  const fs = await OpfsFs.open(root, { now: () => 1_700_000_000_000, metaDelayMs: 60_000, log: (m: string) => logs.push(m) });
  const c: Client = new NinepClient(new NinepServer(fs, { readOnly: false }), "async");
  await ok(c.version(65536));
  await ok(c.attach(0, 1000));
  return { fs, c };
}

async function mode(c: Client, name: string, fid = 903): Promise<number> {
  await ok(c.walk(0, fid, [name]));
  const a = await ok(c.getattr(fid));
  await ok(c.clunk(fid));
  return a.mode;
}

/** A folder whose sidecar says: script.sh is 0755, "run" links to it. */
async function folderWithMeta(): Promise<FakeTreeDir> {
  const root = fakeOpfsRoot();
  const first = await mount(root);
  await ok(first.c.attach(2, 1000)); // fid 0 becomes the new file; fid 2 stays the root
  await ok(first.c.lcreate(0, "script.sh", O_RDWR, 0o755));
  await ok(first.c.symlink(2, "run", "script.sh"));
  await first.fs.close();
  return root;
}

function file(root: FakeTreeDir, name: string): FakeTreeFile {
  const f = root.at(name);
  if (!(f instanceof FakeTreeFile)) throw new Error(`${name} is not in the fake OPFS`);
  return f;
}

describe("the shared folder's sidecar across a worker's end", () => {
  it("writes a spare copy beside the sidecar, and hides both from the guest", async () => {
    const root = await folderWithMeta();
    expect(new TextDecoder().decode(file(root, META_SPARE_NAME).data.bytes)).toBe(new TextDecoder().decode(file(root, META_NAME).data.bytes));
    const { c } = await mount(root);
    for (const name of [META_NAME, META_SPARE_NAME]) {
      expect((await c.walk(0, 5, [name])).ok ? 0 : ENOENT).toBe(ENOENT);
      const created = await c.lcreate(0, name, O_RDWR, 0o644);
      expect(created.ok ? 0 : created.errno).toBe(EACCES);
    }
  });

  it("waits for a sidecar the previous worker still holds, and keeps what it says", async () => {
    const root = await folderWithMeta();
    const held = await file(root, META_NAME).createSyncAccessHandle();
    setTimeout(() => held.close(), 350); // the previous worker goes a little later
    const logs: string[] = [];
    const { c } = await mount(root, logs);
    expect(await mode(c, "script.sh")).toBe(0o100755);
    expect(await mode(c, "run")).toBe(0o120777);
    expect(logs).toEqual([]);
  });

  it("reads the spare copy when the sidecar was cut short in a rewrite, and says so", async () => {
    const root = await folderWithMeta();
    const sidecar = await file(root, META_NAME).createSyncAccessHandle();
    sidecar.truncate(7); // the worker ended inside its rewrite
    sidecar.close();
    const logs: string[] = [];
    const { c } = await mount(root, logs);
    expect(await mode(c, "script.sh")).toBe(0o100755);
    expect(await mode(c, "run")).toBe(0o120777);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(new RegExp(`^shared folder: ${META_NAME.replace(".", "\\.")} is not ringside's format .*; read the spare copy ${META_SPARE_NAME.replace(/\./g, "\\.")}$`));
  });
});
