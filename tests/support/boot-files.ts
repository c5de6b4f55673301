// Kernels and initrds for the browser tests of the Boot panel and of share links that name
// a kernel by address: ringside's own images and some wrong ones in a temporary folder,
// served on 127.0.0.1 with and without CORS headers, each server noting what was asked of
// it; and an address where nothing answers.
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkKernel } from "../../src/machine/kernel-check.js";
import { ANY_ORIGIN, serveStatic, type StaticServer } from "./static-server.js";
import { newcArchive } from "./newc-cpio.js";

const IMAGES = fileURLToPath(new URL("../../images/", import.meta.url));
export const MOUNT = "/files/";

export interface BootFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface BootFiles {
  dir: string;
  kernel: BootFile;
  initrd: BootFile;
  /** The kernel's version string's first word ("6.1.192"). */
  version: string;
  /** The first MiB of the kernel. */
  truncatedKernel: string;
  /** 600 MiB (sparse): over the page's limit. */
  oversize: string;
  /** ringside's initrd with an /etc/profile laid over it whose prompt is not ringside's. */
  foreignInitrd: BootFile;
  close(): Promise<void>;
}

async function described(path: string): Promise<BootFile> {
  const data = await readFile(path);
  return { path, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}

export async function makeBootFiles(): Promise<BootFiles> {
  const dir = await mkdtemp(join(tmpdir(), "ringside-boot-files-"));
  await copyFile(join(IMAGES, "bzImage"), join(dir, "bzImage"));
  await copyFile(join(IMAGES, "initrd.img"), join(dir, "initrd.img"));
  const kernelBytes = await readFile(join(dir, "bzImage"));
  await writeFile(join(dir, "bzImage-truncated"), kernelBytes.subarray(0, 1024 * 1024));
  const big = await open(join(dir, "huge.img"), "w");
  await big.truncate(600 * 1024 * 1024);
  await big.close();
  const overlay = newcArchive({ "etc/profile": "export PATH=/sbin:/usr/sbin:/bin:/usr/bin\nexport HOME=/root\nPS1='other-os$ '\ncd \"$HOME\"\n" });
  await writeFile(join(dir, "foreign-initrd.img"), Buffer.concat([await readFile(join(dir, "initrd.img")), overlay]));
  const version = checkKernel(new Uint8Array(kernelBytes), "bzImage").version?.split(" ")[0] ?? "";
  return {
    dir,
    kernel: await described(join(dir, "bzImage")),
    initrd: await described(join(dir, "initrd.img")),
    version,
    truncatedKernel: join(dir, "bzImage-truncated"),
    oversize: join(dir, "huge.img"),
    foreignInitrd: await described(join(dir, "foreign-initrd.img")),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface FileServer extends StaticServer {
  /** Paths asked for so far (GET and HEAD), in order. */
  requests: string[];
}

/** Serves `dir` at http://127.0.0.1:PORT/files/, with CORS headers for any page or without. */
export async function serveBootFiles(dir: string, cors: boolean): Promise<FileServer> {
  const requests: string[] = [];
  const server = await serveStatic(dir, MOUNT, { ...(cors ? { headers: ANY_ORIGIN } : {}), onRequest: (method, path) => requests.push(`${method} ${path}`) });
  return { ...server, requests };
}

/** An address on 127.0.0.1 where nothing listens (a port taken and given back). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}${MOUNT}`;
}
