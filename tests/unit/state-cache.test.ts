// The instant shell's snapshot kept in this browser's storage (src/worker/state-cache.ts),
// through the download worker that uses it (src/worker/state-download.ts), run here with a
// fake worker scope, a fake server and an OPFS folder in memory: the first run downloads and
// keeps the inflated state under the file's sha256, the next reads it back without asking
// the server for the state, and an entry that is damaged, another state's, or cannot be
// written never stands between the reader and a working download.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DEFAULT_IMAGES_DIR } from "../../src/node/node-images.js";
import { sha256Hex } from "../../src/util/sha256-hex.js";
import { stateDownloadName, type StateDownloadReport } from "../../src/worker/state-download-messages.js";
import { keptStateName, keepState, readKeptState, STATE_CACHE_FOLDER, type KeptFile, type KeptFolder } from "../../src/worker/state-cache.js";

const STATE_URL = "https://ringside.test/images/shell.state";
const RECORD_URL = "https://ringside.test/images/shell.state.json";

/** An OPFS folder in memory: files are replaced whole when a writable closes, as OPFS does. */
class MemoryFolder implements KeptFolder {
  readonly files = new Map<string, Uint8Array>();
  readonly folders = new Map<string, MemoryFolder>();
  failWrites = false;
  /** How its files answer a read-only sync access handle: not at all (a File is read), in pieces of at most 1 MiB, refused (another tab writes), or ending early. */
  syncHandles: "none" | "pieces" | "locked" | "short" = "none";
  /** Bytes read through sync access handles. */
  syncRead = 0;

  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<MemoryFolder> {
    let folder = this.folders.get(name);
    if (!folder) {
      if (!options?.create) throw new DOMException(`no folder ${name}`, "NotFoundError");
      folder = new MemoryFolder();
      this.folders.set(name, folder);
    }
    return folder;
  }

  async getFileHandle(name: string, options?: { create?: boolean }): Promise<KeptFile> {
    if (!this.files.has(name)) {
      if (!options?.create) throw new DOMException(`no file ${name}`, "NotFoundError");
      this.files.set(name, new Uint8Array(0));
    }
    const sync = this.syncHandles === "none" ? {} : {
      createSyncAccessHandle: async () => {
        if (this.syncHandles === "locked") throw new DOMException("the file is being written", "NoModificationAllowedError");
        const bytes = this.files.get(name)!;
        const short = this.syncHandles === "short";
        return {
          getSize: () => bytes.length,
          read: (buffer: Uint8Array, { at }: { at: number }) => {
            const end = Math.min(bytes.length - (short ? 4096 : 0), at + 1024 * 1024);
            if (end <= at) return 0;
            buffer.set(bytes.subarray(at, end));
            this.syncRead += end - at;
            return end - at;
          },
          close: () => {},
        };
      },
    };
    return {
      ...sync,
      getFile: async () => {
        const bytes = this.files.get(name);
        if (!bytes) throw new DOMException(`no file ${name}`, "NotFoundError");
        return new Blob([bytes.slice()]);
      },
      createWritable: async () => {
        const parts: Uint8Array[] = [];
        return {
          write: async (data: Uint8Array) => {
            if (this.failWrites) throw new DOMException("the quota is used up", "QuotaExceededError");
            parts.push(data.slice());
          },
          close: async () => void this.files.set(name, new Uint8Array(Buffer.concat(parts))),
          abort: async () => {},
        };
      },
    };
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.files.delete(name)) throw new DOMException(`no file ${name}`, "NotFoundError");
  }

  async *keys(): AsyncIterable<string> {
    yield* [...this.files.keys()];
  }
}

let file: Uint8Array;
let record: Uint8Array;
let inflated: Buffer;
let sha256: string;

beforeAll(async () => {
  file = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, "shell.state")));
  record = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, "shell.state.json")));
  inflated = gunzipSync(file);
  sha256 = await sha256Hex(file);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

interface Run {
  reports: StateDownloadReport[];
  /** The addresses fetched, in order. */
  fetched: string[];
  logged: string[];
}

/** Runs the download worker once with `root` as this browser's storage (none when undefined); resolves once it closes. */
async function runWorker(root: MemoryFolder | undefined, files: Record<string, Uint8Array>): Promise<Run> {
  const run: Run = { reports: [], fetched: [], logged: [] };
  let closed: () => void = () => {};
  const done = new Promise<void>((resolve) => (closed = resolve));
  vi.stubGlobal("self", { name: stateDownloadName(STATE_URL), postMessage: (m: StateDownloadReport) => void run.reports.push(m), close: () => closed() });
  vi.stubGlobal("navigator", root ? { storage: { getDirectory: async () => root } } : {});
  vi.stubGlobal("fetch", async (input: string) => {
    run.fetched.push(input);
    const body = files[input];
    return body ? new Response(body.slice(), { headers: { "content-length": String(body.length) } }) : new Response("missing", { status: 404, statusText: "Not Found" });
  });
  vi.spyOn(console, "info").mockImplementation((message: string) => void run.logged.push(message));
  vi.resetModules();
  await import("../../src/worker/state-download.js");
  await done;
  vi.restoreAllMocks();
  return run;
}

function delivered(run: Run): { inflated: Uint8Array; sha256: string } {
  const last = run.reports.at(-1);
  if (last?.kind !== "done") throw new Error(`the worker ended with ${JSON.stringify(last)}`);
  return last;
}

const SITE = (): Record<string, Uint8Array> => ({ [STATE_URL]: file, [RECORD_URL]: record });

describe("the instant shell's snapshot kept in this browser's storage", () => {
  it("is kept after the first download, under the file's sha256, and read back the next time without fetching the state", async () => {
    const root = new MemoryFolder();
    const first = await runWorker(root, SITE());
    expect(first.fetched).toContain(STATE_URL);
    expect(Buffer.from(delivered(first).inflated).equals(inflated)).toBe(true);
    const folder = root.folders.get(STATE_CACHE_FOLDER)!;
    expect([...folder.files.keys()]).toEqual([keptStateName(sha256)]);
    expect(Buffer.from(folder.files.get(keptStateName(sha256))!).equals(inflated)).toBe(true);

    const second = await runWorker(root, SITE());
    expect(second.fetched).toEqual([RECORD_URL]);
    const again = delivered(second);
    expect(again.sha256).toBe(sha256);
    expect(Buffer.from(again.inflated).equals(inflated)).toBe(true);
    // Its progress still adds up, to the bytes it read.
    expect(second.reports.slice(0, 2)).toEqual([{ kind: "length", bytes: inflated.length }, { kind: "bytes", bytes: inflated.length }]);
    expect(second.logged).toEqual([]);
  });

  it("a damaged entry is removed with a log line that names it, and the state downloaded and kept again", async () => {
    const root = new MemoryFolder();
    await runWorker(root, SITE());
    const folder = root.folders.get(STATE_CACHE_FOLDER)!;
    folder.files.set(keptStateName(sha256), new Uint8Array(inflated.subarray(0, inflated.length - 4096)));
    const run = await runWorker(root, SITE());
    expect(run.fetched).toContain(STATE_URL);
    expect(run.logged).toEqual([expect.stringMatching(new RegExp(`^ringside: the snapshot kept in this browser's storage \\(shell-${sha256}\\.state\\) is unusable and is downloaded again: .*(truncated|damaged)`))]);
    expect(Buffer.from(delivered(run).inflated).equals(inflated)).toBe(true);
    expect(Buffer.from(folder.files.get(keptStateName(sha256))!).equals(inflated)).toBe(true);
  });

  it("another state's entry is not read, and goes once the site's own is kept", async () => {
    const root = new MemoryFolder();
    const folder = await root.getDirectoryHandle(STATE_CACHE_FOLDER, { create: true });
    const older = keptStateName("0".repeat(64));
    folder.files.set(older, new Uint8Array(inflated));
    const run = await runWorker(root, SITE());
    expect(run.fetched).toContain(STATE_URL);
    expect([...folder.files.keys()]).toEqual([keptStateName(sha256)]);
  });

  it("without a readable record nothing is looked up or kept; without storage, or when it cannot be written, the download still arrives", async () => {
    const root = new MemoryFolder();
    const noRecord = await runWorker(root, { [STATE_URL]: file });
    expect(noRecord.fetched).toEqual([RECORD_URL, STATE_URL]);
    expect(delivered(noRecord).sha256).toBe(sha256);
    // Nor is anything kept that no record vouches for: it would never be looked up.
    expect([...root.folders.get(STATE_CACHE_FOLDER)!.files.keys()]).toEqual([]);
    const otherRecord = new TextEncoder().encode(new TextDecoder().decode(record).replace(sha256, "1".repeat(64)));
    await runWorker(root, { [STATE_URL]: file, [RECORD_URL]: otherRecord });
    expect([...root.folders.get(STATE_CACHE_FOLDER)!.files.keys()]).toEqual([]);

    const noStorage = await runWorker(undefined, SITE());
    expect(Buffer.from(delivered(noStorage).inflated).equals(inflated)).toBe(true);

    const full = new MemoryFolder();
    (await full.getDirectoryHandle(STATE_CACHE_FOLDER, { create: true })).failWrites = true;
    const unwritten = await runWorker(full, SITE());
    expect(Buffer.from(delivered(unwritten).inflated).equals(inflated)).toBe(true);
    expect(unwritten.logged).toEqual([expect.stringMatching(/^ringside: the snapshot could not be kept in this browser's storage: .*quota/)]);
    // Nothing half-written is left to be read next time.
    expect([...full.folders.get(STATE_CACHE_FOLDER)!.files.keys()]).toEqual([]);
  });

  it("reads an entry through a read-only sync access handle where the browser has one, and as a File when it is refused", async () => {
    const root = new MemoryFolder();
    await runWorker(root, SITE());
    const folder = root.folders.get(STATE_CACHE_FOLDER)!;
    folder.syncHandles = "pieces";
    const viaHandle = await runWorker(root, SITE());
    expect(viaHandle.fetched).toEqual([RECORD_URL]);
    expect(folder.syncRead).toBe(inflated.length);
    expect(Buffer.from(delivered(viaHandle).inflated).equals(inflated)).toBe(true);

    folder.syncHandles = "locked";
    const viaFile = await runWorker(root, SITE());
    expect(viaFile.fetched).toEqual([RECORD_URL]);
    expect(folder.syncRead).toBe(inflated.length);
    expect(Buffer.from(delivered(viaFile).inflated).equals(inflated)).toBe(true);

    // A handle whose reads end before the size it gave: unusable, downloaded again.
    folder.syncHandles = "short";
    const cut = await runWorker(root, SITE());
    expect(cut.fetched).toContain(STATE_URL);
    expect(cut.logged).toEqual([expect.stringMatching(/is unusable and is downloaded again: it ended at byte \d+ of the \d+ it said it had$/)]);
    expect(Buffer.from(delivered(cut).inflated).equals(inflated)).toBe(true);
  });

  it("refuses an entry larger than any snapshot, and keeps none that large", async () => {
    const folder = new MemoryFolder();
    const logged: string[] = [];
    const huge = { size: 300 * 1024 * 1024, arrayBuffer: () => Promise.reject(new Error("read")) } as unknown as Blob;
    folder.files.set(keptStateName(sha256), new Uint8Array(1));
    const handle = folder.getFileHandle.bind(folder);
    folder.getFileHandle = async (name, options) => ({ ...(await handle(name, options)), getFile: async () => huge });
    expect(await readKeptState(folder, sha256, (m) => logged.push(m))).toBeUndefined();
    expect(logged[0]).toMatch(/is unusable .*more than the 268435456 an entry may hold/);
    expect(folder.files.has(keptStateName(sha256))).toBe(false);

    await keepState(folder, sha256, new Uint8Array(257 * 1024 * 1024));
    expect(folder.files.size).toBe(0);
  });
});
