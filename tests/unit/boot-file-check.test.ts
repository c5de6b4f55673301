// The worker's checks of a kernel or an initrd the user gives the page: the machine's own
// checks (kernel-check.ts, initrd-check.ts) with the file's sha256, a wrong or too large
// file refused naming it, an address that does not answer named as such; and the report of
// what a machine boots (version, sizes, sha256 for all but the bundled images).
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { checkPickedFile, checkUrl, reportBootImages } from "../../src/worker/boot-file-check.js";
import { MAX_BOOT_FILE_BYTES } from "../../src/worker/worker-images.js";
import type { BootImages } from "../../src/machine/boot-images.js";

const IMAGES = fileURLToPath(new URL("../../images/", import.meta.url));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("checking a boot file the user gives", () => {
  it("says what ringside's own kernel and initrd are, with their sha256", async () => {
    const kernel = await readFile(`${IMAGES}bzImage`);
    const facts = await checkPickedFile("kernel", new Blob([new Uint8Array(kernel)]), "bzImage", 256);
    expect(facts).toMatchObject({ name: "bzImage", bytes: kernel.length, sha256: sha(kernel), protocol: expect.stringMatching(/^2\.\d\d$/) });
    expect(facts.version).toMatch(/^6\.1\.\d+ /);
    const initrd = await readFile(`${IMAGES}initrd.img`);
    expect(await checkPickedFile("initrd", new Blob([new Uint8Array(initrd)]), "initrd.img", 256)).toEqual({ name: "initrd.img", bytes: initrd.length, format: "cpio", sha256: sha(initrd) });
  });

  it("refuses a wrong file, one too large and one too large for the RAM, naming it", async () => {
    const initrd = await readFile(`${IMAGES}initrd.img`);
    await expect(checkPickedFile("kernel", new Blob([new Uint8Array(initrd)]), "initrd.img", 256)).rejects.toThrow("initrd.img: a cpio archive (an initrd?), not a kernel");
    const huge = { size: MAX_BOOT_FILE_BYTES + 1, arrayBuffer: () => Promise.reject(new Error("read")) } as unknown as Blob;
    await expect(checkPickedFile("initrd", huge, "huge.img", 256)).rejects.toThrow(`the initrd huge.img is ${MAX_BOOT_FILE_BYTES + 1} bytes, more than the ${MAX_BOOT_FILE_BYTES} the page takes`);
    await expect(checkPickedFile("initrd", new Blob([new Uint8Array(40 * 1024 * 1024).fill(0x30)]), "big.img", 128)).rejects.toThrow(/^big\.img: 41943040 bytes is more than fits/);
  });

  it("names an address where nothing answers", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(checkUrl("kernel", `http://127.0.0.1:${port}/bzImage`, 256)).rejects.toThrow(
      new RegExp(`^cannot fetch the kernel http://127\\.0\\.0\\.1:${port}/bzImage: the server did not answer`),
    );
  });
});

describe("the report of what a machine boots", () => {
  it("gives the kernel's version and each file's size, and the sha256 of what is not bundled", async () => {
    const kernel = new Uint8Array(await readFile(`${IMAGES}bzImage`)).buffer;
    const initrd = new Uint8Array(await readFile(`${IMAGES}initrd.img`));
    const images: BootImages = { bios: new ArrayBuffer(128 * 1024), kernel: { name: "bzImage", bytes: kernel }, initrd: { name: "https://x/initrd.img", bytes: initrd.buffer as ArrayBuffer } };
    const report = await reportBootImages({ kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "url", url: "https://x/initrd.img" } }, images, 256, "console=ttyS0");
    expect(report.kernel).toMatchObject({ name: "bzImage", source: "bundled", bytes: kernel.byteLength, version: expect.stringMatching(/^6\.1\./) });
    expect(report.kernel?.sha256).toBeUndefined();
    expect(report.initrd).toEqual({ name: "https://x/initrd.img", source: "url", bytes: initrd.length, format: "cpio", sha256: sha(initrd) });
    expect(await reportBootImages({ kind: "disk" }, { bios: new ArrayBuffer(128 * 1024) }, 256, "")).toEqual({});
  });
});
