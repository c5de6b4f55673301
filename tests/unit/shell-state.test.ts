// The instant shell's snapshot shipped in images/: it must be fresh (made from the images
// beside it, by this v86, for the machine the page builds for ?start=snapshot), and a stale
// one must be refused with a message that says what changed and how to make it again.
import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkShellStateFile, checkShellStateImages, imageDigests, readShellStateRecord, SHELL_STATE_FILE, SHELL_STATE_RECORD, StaleShellStateError, type ShellStateRecord } from "../../src/machine/shell-state.js";
import { sha256Hex } from "../../src/util/sha256-hex.js";
import { makeImageManifest, manifestDigests, readImageManifest } from "../../src/machine/image-manifest.js";
import { DEFAULT_IMAGES_DIR, loadImages } from "../../src/node/node-images.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { readMachineState } from "../../src/machine/machine-state.js";
import { pageMachineOptions } from "../../src/share/page-machine.js";

/** Both of the shipped snapshot's checks, as a boot makes them (the images first, then the file). */
function checkShellState(record: ShellStateRecord, stateSha256: string, images: Record<string, string>): void {
  checkShellStateImages(record, images);
  checkShellStateFile(record, stateSha256);
}

async function shipped(): Promise<{ state: Uint8Array; record: ReturnType<typeof readShellStateRecord> }> {
  const state = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)));
  const record = readShellStateRecord(JSON.parse(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_RECORD), "utf8")));
  return { state, record };
}

describe("the shipped instant-shell snapshot", () => {
  it("was made from the committed images (else: npx tsx images/make-shell-state.ts)", async () => {
    const { state, record } = await shipped();
    const [stateSha256, digests] = [await sha256Hex(state), await imageDigests(await loadImages())];
    expect(() => checkShellState(record, stateSha256, digests)).not.toThrow();
  });

  it("is the page's no-disk machine on the host network, readable by this build's v86", async () => {
    const { state } = await shipped();
    const { header } = readMachineState(await decodeStateFile(state));
    const page = pageMachineOptions(undefined);
    expect(header).toMatchObject({ diskSectors: [], networksSaved: [true] });
    expect(header.machine).toMatchObject({ memoryMiB: page.memoryMiB, cmdline: page.cmdline });
    expect(header.machine.devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng", "virtio-net"]);
    // It is downloaded by every instant shell: it must stay small.
    expect(state.length).toBeLessThan(12 * 1024 * 1024);
  });

  it("is refused, naming what changed, when an image is not the one it was made from", async () => {
    const { state, record } = await shipped();
    const images = await loadImages();
    const kernel = new Uint8Array(images.bzImage.slice(0));
    kernel[kernel.length - 1]! ^= 0xff;
    const digests = await imageDigests({ ...images, bzImage: kernel.buffer });
    const stale = async (): Promise<void> => checkShellState(record, await sha256Hex(state), digests);
    await expect(stale()).rejects.toThrow(StaleShellStateError);
    await expect(stale()).rejects.toThrow(
      /^shell\.state was made from other images \(bzImage changed since .*\): make it again with npx tsx images\/make-shell-state\.ts$/,
    );
  });

  it("is refused when the record describes another state", async () => {
    const { state, record } = await shipped();
    const other = state.slice();
    other[other.length - 1]! ^= 1;
    const [otherSha256, digests] = [await sha256Hex(other), await imageDigests(await loadImages())];
    expect(() => checkShellState(record, otherSha256, digests)).toThrow(/shell\.state is not the state shell\.state\.json describes/);
  });

  it("refuses a damaged record, naming the field", () => {
    expect(() => readShellStateRecord({ images: {} })).toThrow(/^shell\.state\.json: images\.bios\.bin must be a string/);
    const images = { "bios.bin": "a".repeat(64), bzImage: "b".repeat(64), "initrd.img": "c".repeat(64) };
    expect(() => readShellStateRecord({ images, stateSha256: "nothex", madeAt: "x" })).toThrow(/stateSha256 must be a sha256 in hex/);
    expect(readShellStateRecord({ images, stateSha256: "d".repeat(64), madeAt: "x" }).images).toEqual(images);
  });
});

describe("the build's image manifest (images.json), which the page checks the snapshot against", () => {
  it("gives each image's size and sha256 and the kernel's facts, and comes back through its reader unchanged", async () => {
    const images = await loadImages();
    const manifest = await makeImageManifest(images, 256);
    expect(manifestDigests(manifest)).toEqual(await imageDigests(images));
    expect(manifest.files["bzImage"]?.bytes).toBe(images.bzImage.byteLength);
    expect(manifest.kernel.version).toMatch(/^\d+\.\d+/);
    expect(readImageManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
  });

  it("is enough to refuse a stale snapshot: no image bytes are needed, only the digests", async () => {
    const { state, record } = await shipped();
    const digests = { ...record.images, "initrd.img": "0".repeat(64) };
    const stateSha256 = await sha256Hex(state);
    expect(() => checkShellState(record, stateSha256, digests)).toThrow(/^shell\.state was made from other images \(initrd\.img changed since /);
    expect(() => checkShellState(record, stateSha256, record.images)).not.toThrow();
  });

  it("refuses a damaged manifest, naming the field", () => {
    const file = { bytes: 1, sha256: "a".repeat(64) };
    const good = { files: { "bios.bin": file, bzImage: file, "initrd.img": file }, kernel: { protocol: "2.15", maxCmdline: 2047 }, initrd: { format: "cpio" } };
    expect(readImageManifest(good)).toEqual(good);
    expect(() => readImageManifest({ ...good, files: { ...good.files, bzImage: { bytes: 1, sha256: "xyz" } } })).toThrow(/^images\.json: files\.bzImage\.sha256 must be a sha256 in hex/);
    expect(() => readImageManifest({ ...good, files: { "bios.bin": file } })).toThrow(/files\.bzImage must be an object/);
    expect(() => readImageManifest({ ...good, initrd: { format: "<b>" } })).toThrow(/initrd\.format must be an initrd format/);
  });
});
