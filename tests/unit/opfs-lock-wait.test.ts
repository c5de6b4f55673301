import { describe, expect, it } from "vitest";
import { LOCK_WAIT_MS, openSyncHandle, type OpfsFileHandle, type SyncAccessHandle } from "../../src/backends/9p/opfs-handles.js";

/** A file whose sync handle is held elsewhere for the first `heldFor` tries. */
function fileHeld(heldFor: number, failure = "NoModificationAllowedError") {
  let tries = 0;
  const handle = {} as SyncAccessHandle;
  const file = {
    kind: "file", name: "picked.bin",
    getFile: () => Promise.reject(new Error("unused")),
    createSyncAccessHandle: () => {
      tries++;
      if (tries <= heldFor) return Promise.reject(Object.assign(new Error("held by another worker"), { name: failure }));
      return Promise.resolve(handle);
    },
  } satisfies OpfsFileHandle;
  return { file, handle, tries: () => tries };
}

describe("opening a file another worker holds", () => {
  it("waits for the previous page's worker to let go (a reload) and then opens it", async () => {
    const { file, handle, tries } = fileHeld(7);
    let slept = 0;
    expect(await openSyncHandle(file, async (ms) => void (slept += ms))).toBe(handle);
    expect(tries()).toBe(8);
    expect(slept).toBe(700);
  });

  it("gives up with the storage's own error after LOCK_WAIT_MS, and never waits on other errors", async () => {
    const held = fileHeld(Number.POSITIVE_INFINITY);
    let slept = 0;
    await expect(openSyncHandle(held.file, async (ms) => void (slept += ms))).rejects.toThrow("held by another worker");
    expect(slept).toBe(LOCK_WAIT_MS);
    const gone = fileHeld(1, "NotFoundError");
    slept = 0;
    await expect(openSyncHandle(gone.file, async (ms) => void (slept += ms))).rejects.toThrow("held by another worker");
    expect(slept).toBe(0);
    expect(gone.tries()).toBe(1);
  });
});
