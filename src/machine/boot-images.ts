// The files one machine boots: the firmware always, and a kernel with or without an initrd
// (the bundled ones, or the user's own), or neither when the firmware boots a disk. Each
// is checked before v86 is built (kernel-check.ts, initrd-check.ts), so a wrong file is
// named with its reason instead of a boot that hangs.
import type { BootDescription, DeviceDescription, ImageSource } from "../description/machine-description.js";
import { BUNDLED_BOOT } from "../description/machine-description.js";
import { IMAGE_FILES, ImageError, type ImageSet } from "./images.js";
import { checkKernel, type KernelFacts } from "./kernel-check.js";
import { checkInitrd, type InitrdFacts } from "./initrd-check.js";
import { bundledInitrdFor } from "./bundled-initrd.js";

/** A file and the name messages call it by (a path, a URL, or the bundled file's name). */
export interface NamedImage {
  name: string;
  bytes: ArrayBuffer;
}

export interface BootImages {
  bios: ArrayBuffer;
  kernel?: NamedImage;
  initrd?: NamedImage;
}

/** What the checks found, for the header ("booting Linux 6.1.0-27-686 ...") and for logs. */
export interface BootFacts {
  kernel?: KernelFacts & { name: string };
  initrd?: InitrdFacts & { name: string; bytes: number };
}

/** Opens a kernel or initrd the description names (the bundled ones are given). Throws ImageError naming it. */
export type ImageOpener = (source: Exclude<ImageSource, { kind: "bundled" }>, role: "kernel" | "initrd") => Promise<NamedImage>;

/**
 * The boot's files: the bundled set where the description says so (its initrd as the
 * machine's `devices` need it: bundled-initrd.ts), `open` for the rest.
 */
export async function resolveBootImages(boot: BootDescription | undefined, bundled: ImageSet, open: ImageOpener, devices: readonly DeviceDescription[]): Promise<BootImages> {
  const b = boot ?? BUNDLED_BOOT;
  if (b.kind === "disk") return { bios: bundled.bios };
  const pick = async (source: ImageSource | undefined, role: "kernel" | "initrd"): Promise<NamedImage | undefined> => {
    if (!source) return undefined;
    if (source.kind === "bundled") return { name: IMAGE_FILES[role === "kernel" ? "bzImage" : "initrd"], bytes: role === "kernel" ? bundled.bzImage : bundledInitrdFor(bundled.initrd, devices) };
    return open(source, role);
  };
  const [kernel, initrd] = await Promise.all([pick(b.kernel, "kernel"), pick(b.initrd, "initrd")]);
  return { bios: bundled.bios, ...(kernel ? { kernel } : {}), ...(initrd ? { initrd } : {}) };
}

/** Checks every file for `memoryMiB` of RAM; throws an ImageError that names the file and what is wrong. */
export function checkBootImages(images: BootImages, memoryMiB: number, cmdline: string): BootFacts {
  const bios = images.bios.byteLength;
  if (bios !== 128 * 1024 && bios !== 256 * 1024) throw new ImageError(`${IMAGE_FILES.bios}: a SeaBIOS image is 128 or 256 KiB, this one is ${bios} bytes`);
  const facts: BootFacts = {};
  if (images.kernel) {
    const k = checkKernel(new Uint8Array(images.kernel.bytes), images.kernel.name);
    const length = new TextEncoder().encode(cmdline).length;
    if (length > k.maxCmdline) throw new ImageError(`${images.kernel.name}: this kernel takes at most ${k.maxCmdline} bytes of command line, and it is ${length}`);
    facts.kernel = { ...k, name: images.kernel.name };
  }
  if (images.initrd) {
    if (!images.kernel) throw new ImageError(`${images.initrd.name}: an initrd needs a kernel to go with it`);
    const i = checkInitrd(new Uint8Array(images.initrd.bytes), images.initrd.name, memoryMiB);
    facts.initrd = { ...i, name: images.initrd.name, bytes: images.initrd.bytes.byteLength };
  }
  return facts;
}

/** The bundled boot: the shipped kernel and initrd (as a machine with `devices` needs it). */
export function bundledBootImages(bundled: ImageSet, devices: readonly DeviceDescription[]): BootImages {
  return {
    bios: bundled.bios,
    kernel: { name: IMAGE_FILES.bzImage, bytes: bundled.bzImage },
    initrd: { name: IMAGE_FILES.initrd, bytes: bundledInitrdFor(bundled.initrd, devices) },
  };
}
