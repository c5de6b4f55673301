// Loads the guest images and v86's WebAssembly from disk for the Node machine.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ImageError, loadImageSet, type ImageSet } from "../machine/images.js";
import type { ImageOpener } from "../machine/boot-images.js";

export const DEFAULT_IMAGES_DIR = fileURLToPath(new URL("../../images/", import.meta.url));

async function readImage(dir: string, file: string): Promise<ArrayBuffer> {
  const path = join(dir, file);
  try {
    const data = await readFile(path);
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImageError(`cannot read ${path} (${code ?? String(err)}); images/build.sh rebuilds the images`);
  }
}

export async function loadImages(dir = DEFAULT_IMAGES_DIR): Promise<ImageSet> {
  return loadImageSet((file) => readImage(dir, file));
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** v86.wasm from the pinned v86 package, compiled once per process. */
export function loadV86Wasm(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const path = createRequire(import.meta.url).resolve("v86/build/v86.wasm");
    return WebAssembly.compile(new Uint8Array(await readFile(path)));
  })();
  return compiled;
}

/** Opens a kernel or initrd the description names, for Node: files only. */
export const openNodeImage: ImageOpener = async (source, role) => {
  if (source.kind !== "file") {
    throw new ImageError(`the ${role} ${source.kind === "url" ? source.url : source.name} is for the page (an address or the browser's storage); give a file here`);
  }
  try {
    const data = await readFile(source.path);
    return { name: source.path, bytes: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImageError(`cannot read the ${role} ${source.path} (${code === "ENOENT" ? "no such file" : (code ?? String(err))})`);
  }
};
