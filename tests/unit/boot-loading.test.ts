// What the page's boot downloads (src/worker/boot-loading.ts), against a fake server: the
// instant shell fetches the firmware, the build's image manifest and the snapshot with its
// record, never the kernel or the initrd, and refuses a stale snapshot from the digests
// alone; a cold boot fetches the images. Also the state file inflated as it arrives.
import { afterEach, describe, expect, it, vi } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadBootFiles, prefetchBootFiles } from "../../src/worker/boot-loading.js";
import { fetchShippedFilesEarly } from "../../src/worker/early-work.js";
import { takeEarlyResponse } from "../../src/worker/early-fetch.js";
import { machineWorkerName, shippedStateFromName } from "../../src/worker/machine-worker-name.js";
import { DEFAULT_IMAGES_DIR, loadImages } from "../../src/node/node-images.js";
import { makeImageManifest, manifestDigests } from "../../src/machine/image-manifest.js";
import { StaleShellStateError, type ShellStateRecord } from "../../src/machine/shell-state.js";
import { sha256Hex } from "../../src/util/sha256-hex.js";
import { decodeStateFile, encodeStateFile, inflateStateStream, parseStateFile } from "../../src/snapshot/state-file.js";

/** A state file read as it arrives: inflated as the pieces come, then parsed. */
const decodeStateStream = async (file: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<unknown> => parseStateFile(await inflateStateStream(file));

const BASE = "https://ringside.test/images/";

/** A server of `files` (by name under BASE) that records what was asked for. */
function fakeServer(files: Record<string, Uint8Array | string>): string[] {
  const asked: string[] = [];
  vi.stubGlobal("fetch", async (input: string | URL) => {
    const name = String(input).replace(BASE, "");
    asked.push(name);
    const body = files[name];
    if (body === undefined) return new Response("missing", { status: 404 });
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    return new Response(bytes as BodyInit, { headers: { "content-length": String(bytes.length) } });
  });
  return asked;
}

async function site(edit: (record: ShellStateRecord) => void = () => {}): Promise<{ asked: string[]; stateBytes: number; stateSha256: string; biosBytes: number }> {
  const images = await loadImages();
  const state = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, "shell.state")));
  const manifest = await makeImageManifest(images, 256);
  const record: ShellStateRecord = { images: manifestDigests(manifest), stateSha256: await sha256Hex(state), madeAt: "2026-12-06T00:00:00.000Z" };
  edit(record);
  const asked = fakeServer({
    "bios.bin": new Uint8Array(images.bios), bzImage: new Uint8Array(images.bzImage), "initrd.img": new Uint8Array(images.initrd),
    "images.json": JSON.stringify(manifest), "shell.state": state, "shell.state.json": JSON.stringify(record),
  });
  return { asked, stateBytes: state.length, stateSha256: await sha256Hex(state), biosBytes: images.bios.byteLength };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("what a boot downloads", () => {
  it("the instant shell: firmware, manifest, snapshot and record, and neither the kernel nor the initrd", async () => {
    const { asked, stateBytes, biosBytes } = await site();
    const progress: Array<[number, number]> = [];
    const files = await loadBootFiles(BASE, { kind: "shipped" }, (loaded, total) => progress.push([loaded, total]));
    expect(asked.sort()).toEqual(["bios.bin", "images.json", "shell.state", "shell.state.json"]);
    expect(files.kind).toBe("restore");
    if (files.kind !== "restore") return;
    expect(files.bios.byteLength).toBe(biosBytes);
    // The header first (the machine is built from it), the whole state once it is all in.
    const { snapshot } = files.state;
    expect(snapshot.header.machine.devices.length).toBeGreaterThan(0);
    const whole = "whole" in snapshot ? await snapshot.whole : snapshot;
    expect(whole.header).toEqual(snapshot.header);
    expect(whole.v86.length).toBeGreaterThan(1_000_000);
    expect(progress.at(-1)).toEqual([stateBytes + biosBytes, stateBytes + biosBytes]);
  });

  it("refuses a stale snapshot from the manifest's digests, without fetching an image", async () => {
    const { asked } = await site((record) => void (record.images["initrd.img"] = "0".repeat(64)));
    const loading = loadBootFiles(BASE, { kind: "shipped" }, () => {});
    await expect(loading).rejects.toThrow(StaleShellStateError);
    await expect(loading).rejects.toThrow(/^shell\.state was made from other images \(initrd\.img changed since /);
    expect(asked).not.toContain("bzImage");
    expect(asked).not.toContain("initrd.img");
  });

  it("refuses a snapshot its record does not describe, once all of it is in", async () => {
    await site((record) => void (record.stateSha256 = "f".repeat(64)));
    const files = await loadBootFiles(BASE, { kind: "shipped" }, () => {});
    if (files.kind !== "restore" || !("whole" in files.state.snapshot)) throw new Error("expected a snapshot still arriving");
    await expect(files.state.snapshot.whole).rejects.toThrow(StaleShellStateError);
    await expect(files.state.snapshot.whole).rejects.toThrow(/^shell\.state is not the state shell\.state\.json describes/);
  });

  it("a cold boot: the three images and nothing else", async () => {
    const { asked } = await site();
    const files = await loadBootFiles(BASE, undefined, () => {});
    expect(files.kind).toBe("cold");
    expect(asked.sort()).toEqual(["bios.bin", "bzImage", "initrd.img"]);
  });

  it("the instant shell's small files, fetched from the worker's name, are the ones the boot reads: each fetched once", async () => {
    const { asked, biosBytes } = await site();
    const from = shippedStateFromName(machineWorkerName(BASE));
    expect(from).toBe(BASE);
    expect(shippedStateFromName(machineWorkerName())).toBeUndefined();
    fetchShippedFilesEarly(from!);
    // Under way before any boot asked: the firmware, the manifest and the record, not the snapshot (its own worker's).
    expect([...asked].sort()).toEqual(["bios.bin", "images.json", "shell.state.json"]);
    const files = await loadBootFiles(BASE, { kind: "shipped" }, () => {});
    expect(asked.sort()).toEqual(["bios.bin", "images.json", "shell.state", "shell.state.json"]);
    expect(files.kind === "restore" && files.bios.byteLength).toBe(biosBytes);
    // Taken once: nothing is left over, and a second boot fetches again.
    expect(takeEarlyResponse(`${BASE}bios.bin`)).toBeUndefined();
  });

  it("an early fetch that failed is the boot's error, naming the file", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("network down");
    });
    fetchShippedFilesEarly(BASE);
    await expect(loadBootFiles(BASE, { kind: "shipped" }, () => {})).rejects.toThrow(/cannot fetch https:\/\/ringside\.test\/images\/(bios\.bin|images\.json|shell\.state(\.json)?): TypeError: network down/);
    for (const f of ["bios.bin", "images.json", "shell.state.json"]) takeEarlyResponse(`${BASE}${f}`);
  });

  it("an images address that does not read starts nothing", () => {
    const asked = fakeServer({});
    fetchShippedFilesEarly("not a url");
    expect(asked).toEqual([]);
  });

  it("a prefetch hands its progress so far, then every change, to the boot that follows it", async () => {
    await site();
    const prefetch = prefetchBootFiles(BASE, { kind: "shipped" });
    const files = await prefetch.files;
    const seen: Array<[number, number]> = [];
    prefetch.follow((loaded, total) => seen.push([loaded, total]));
    expect(files.kind).toBe("restore");
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBe(seen[0]![1]);
  });
});

describe("a state file inflated as it arrives", () => {
  const chunked = (bytes: Uint8Array, size: number): ReadableStream<Uint8Array<ArrayBuffer>> =>
    new ReadableStream({
      start(controller) {
        for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
        controller.close();
      },
    });

  it("reads the same as the whole file, however the download is cut", async () => {
    const file = await encodeStateFile({ a: 1, text: "hello", blob: new Uint8Array(5000).map((_, i) => i & 0xff) });
    const whole = await decodeStateFile(file);
    for (const size of [1, 7, 4096]) expect(await decodeStateStream(chunked(file, size))).toEqual(whole);
  });

  it("gives the header as soon as it is inflated, before the rest has even arrived", async () => {
    const blob = new Uint8Array(200_000).map(() => Math.floor(Math.random() * 256));
    const file = await encodeStateFile({ header: { a: 1 }, blob });
    let header: unknown;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const cut = Math.floor(file.length / 2);
    // The second half is sent only once the header has been seen.
    const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
      async start(controller) {
        controller.enqueue(file.slice(0, cut));
        await released;
        controller.enqueue(file.slice(cut));
        controller.close();
      },
    });
    const inflating = inflateStateStream(stream, (h) => {
      expect(header).toBeUndefined(); // once
      header = h;
      release();
    });
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error("no header from the first half")), 5000));
    await Promise.race([released, late]);
    expect(header).toEqual({ header: { a: 1 }, blob: { $bytes: 0, length: blob.length } });
    expect(parseStateFile(await inflating)).toEqual({ header: { a: 1 }, blob });
  });

  it("refuses what is not gzip, empty, or cut short, as the whole-file reader does", async () => {
    const file = await encodeStateFile({ a: 1 });
    const notGzip = file.slice();
    notGzip[1] = 0;
    await expect(decodeStateStream(chunked(notGzip, 1))).rejects.toThrow(/^this is not a ringside state file \(it is not gzip-compressed\)$/);
    await expect(decodeStateStream(chunked(new Uint8Array(0), 1))).rejects.toThrow(/not gzip-compressed/);
    await expect(decodeStateStream(chunked(file.subarray(0, file.length - 12), 5))).rejects.toThrow(/damaged|truncated/);
  });
});
