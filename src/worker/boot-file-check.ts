// What the page learns about a kernel or an initrd: the user's file or address checked
// before anything is kept (the same checks the machine makes before it builds v86:
// kernel-check.ts, initrd-check.ts), and the files a machine booted, with their size and
// sha256, for the page's header and the share banner.
import type { BootDescription, ImageSource } from "../description/machine-description.js";
import { BUNDLED_BOOT } from "../description/machine-description.js";
import { checkBootImages, type BootImages } from "../machine/boot-images.js";
import { checkKernel } from "../machine/kernel-check.js";
import { checkInitrd } from "../machine/initrd-check.js";
import { ImageError } from "../machine/images.js";
import type { BootFileFacts, BootFilesReport } from "./api.js";
import { MAX_BOOT_FILE_BYTES, workerImageOpener } from "./worker-images.js";

type Role = "kernel" | "initrd";

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The check's facts about one file, in the worker API's words. */
function factsOf(role: Role, bytes: ArrayBuffer, name: string, memoryMiB: number): BootFileFacts {
  const view = new Uint8Array(bytes);
  if (role === "kernel") {
    const k = checkKernel(view, name);
    return { name, bytes: bytes.byteLength, protocol: k.protocol, maxCmdline: k.maxCmdline, ...(k.version ? { version: k.version } : {}) };
  }
  return { name, bytes: bytes.byteLength, format: checkInitrd(view, name, memoryMiB).format };
}

/** A file the user picked: too large, or not a kernel (initrd), is an ImageError naming it. */
export async function checkPickedFile(role: Role, file: Blob, name: string, memoryMiB: number): Promise<BootFileFacts & { sha256: string }> {
  if (file.size > MAX_BOOT_FILE_BYTES) throw new ImageError(`the ${role} ${name} is ${file.size} bytes, more than the ${MAX_BOOT_FILE_BYTES} the page takes`);
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    throw new ImageError(`cannot read the ${role} ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...factsOf(role, bytes, name, memoryMiB), sha256: await sha256Hex(bytes) };
}

/** An address the user typed: fetched now (they pressed Boot) and checked. */
export async function checkUrl(role: Role, url: string, memoryMiB: number): Promise<BootFileFacts & { sha256: string }> {
  const { name, bytes } = await workerImageOpener()({ kind: "url", url }, role);
  return { ...factsOf(role, bytes, name, memoryMiB), sha256: await sha256Hex(bytes) };
}

/**
 * The kernel and initrd `boot` resolved to, checked as the machine will check them (so a
 * wrong file is named before v86 is built), with each one's sha256 unless it is bundled.
 */
export async function reportBootImages(boot: BootDescription | undefined, images: BootImages, memoryMiB: number, cmdline: string): Promise<BootFilesReport> {
  const facts = checkBootImages(images, memoryMiB, cmdline);
  const b = boot ?? BUNDLED_BOOT;
  if (b.kind === "disk") return {};
  const report: BootFilesReport = {};
  if (images.kernel && facts.kernel) {
    const { name, bytes } = images.kernel;
    const { protocol, maxCmdline, version } = facts.kernel;
    report.kernel = { name, bytes: bytes.byteLength, source: b.kernel.kind, protocol, maxCmdline, ...(version ? { version } : {}), ...(await hashUnlessBundled(b.kernel, bytes)) };
  }
  if (images.initrd && facts.initrd && b.initrd) {
    const { name, bytes } = images.initrd;
    report.initrd = { name, bytes: bytes.byteLength, source: b.initrd.kind, format: facts.initrd.format, ...(await hashUnlessBundled(b.initrd, bytes)) };
  }
  return report;
}

async function hashUnlessBundled(source: ImageSource, bytes: ArrayBuffer): Promise<{ sha256?: string }> {
  return source.kind === "bundled" ? {} : { sha256: await sha256Hex(bytes) };
}
