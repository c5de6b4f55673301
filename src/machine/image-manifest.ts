// What the site's build knows about the images it ships (images/images.json, written by
// the build from the very bytes it copies): each file's size and sha256, and what the
// kernel and initrd checks found in them. The instant shell needs no image bytes: a state's
// RAM already holds its kernel and initrd, so the staleness check compares the state's
// record with these digests instead of hashing 8 MB fetched for nothing, and the page's
// header still names the kernel's version.
import { IMAGE_FILES, type ImageSet } from "./images.js";
import { checkKernel } from "./kernel-check.js";
import { checkInitrd, type InitrdFormat } from "./initrd-check.js";
import { sha256Hex } from "../util/sha256-hex.js";
import { StateReader } from "../snapshot/state-reader.js";

export const IMAGE_MANIFEST_FILE = "images.json";

export interface ManifestFile {
  bytes: number;
  /** Hex. */
  sha256: string;
}

export interface ImageManifest {
  /** By file name (IMAGE_FILES' values). */
  files: Record<string, ManifestFile>;
  kernel: { protocol: string; maxCmdline: number; version?: string };
  initrd: { format: InitrdFormat };
}

/** Every image's size and sha256, and the kernel's and initrd's facts, as the build writes them. */
export async function makeImageManifest(images: ImageSet, memoryMiB: number): Promise<ImageManifest> {
  const keys = Object.keys(IMAGE_FILES) as Array<keyof ImageSet>;
  const digests = await Promise.all(keys.map((key) => sha256Hex(images[key])));
  const files = Object.fromEntries(keys.map((key, i) => [IMAGE_FILES[key], { bytes: images[key].byteLength, sha256: digests[i]! }]));
  const kernel = checkKernel(new Uint8Array(images.bzImage), IMAGE_FILES.bzImage);
  const { format } = checkInitrd(new Uint8Array(images.initrd), IMAGE_FILES.initrd, memoryMiB);
  return { files, kernel, initrd: { format } };
}

/** sha256 of every image, by file name (as shell.state.json records them). */
export function manifestDigests(manifest: ImageManifest): Record<string, string> {
  return Object.fromEntries(Object.entries(manifest.files).map(([file, f]) => [file, f.sha256]));
}

/** Checks the manifest's fields (it comes over the network); throws naming the bad one. */
export function readImageManifest(raw: unknown): ImageManifest {
  const r = new StateReader(raw, "", IMAGE_MANIFEST_FILE);
  const file = (name: string): ManifestFile => {
    const f = r.field("files").field(name);
    const sha = f.field("sha256");
    const sha256 = sha.string(64);
    if (!/^[0-9a-f]{64}$/.test(sha256)) sha.fail("a sha256 in hex");
    return { bytes: f.field("bytes").integer(0, Number.MAX_SAFE_INTEGER), sha256 };
  };
  const files = Object.fromEntries(Object.values(IMAGE_FILES).map((name) => [name, file(name)]));
  const k = r.field("kernel");
  const kernel = {
    protocol: k.field("protocol").string(16),
    maxCmdline: k.field("maxCmdline").integer(0, 1 << 20),
    ...(k.has("version") ? { version: k.field("version").string(1024) } : {}),
  };
  // Shown to the reader only ("gzip archive"), never acted on.
  const format = r.field("initrd").field("format");
  const formatText = format.string(16);
  if (!/^[a-z0-9]+$/.test(formatText)) format.fail("an initrd format (cpio, gzip, ...)");
  return { files, kernel, initrd: { format: formatText as InitrdFormat } };
}
