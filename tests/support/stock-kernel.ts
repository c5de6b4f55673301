// Debian's stock kernels for the tests, built by images/stock/build-stock.sh: the i386 one
// (linux-image-6.1.0-NN-686) with the initrd the script makes from Debian packages, and
// the x86_64 one the boot-file checks must refuse. The script fetches and builds only the
// first time (about 20 s and 80 MB from Debian's mirrors); after that it just prints
// where its cache is. Several test files may call this at once: the script takes a lock.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BUILD_STOCK_SCRIPT = fileURLToPath(new URL("../../images/stock/build-stock.sh", import.meta.url));

/** Long enough for a first build on a slow mirror; a later call takes milliseconds. */
export const STOCK_BUILD_TIMEOUT_MS = 600_000;

export interface StockKernel {
  /** The cache folder the script built (or found). */
  dir: string;
  /** Debian's i386 bzImage. */
  vmlinuz: string;
  /** The initrd: busybox, the virtio modules and images/stock/init (newc cpio, zstd). */
  initrd: string;
  /** Debian's x86_64 bzImage (cloud-amd64), which v86 cannot run. */
  vmlinuzAmd64: string;
  /** What `uname -r` says in the guest: "6.1.0-50-686". */
  release: string;
  /** The i386 kernel package's version: "6.1.176-1". */
  packageVersion: string;
  /** Each package the script used, with its exact version ("busybox-static:i386" → "1:1.35.0-..."). */
  versions: ReadonlyMap<string, string>;
}

/** Runs build-stock.sh (building only when its cache is stale) and reads what it made. */
export async function stockKernel(): Promise<StockKernel> {
  const dir = await new Promise<string>((resolve, reject) => {
    execFile("bash", [BUILD_STOCK_SCRIPT], { timeout: STOCK_BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`images/stock/build-stock.sh failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve(stdout.trim().split("\n").pop() ?? "");
    });
  });
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const versions = new Map<string, string>();
  for (const line of read("VERSIONS").split("\n")) {
    const [name, version] = line.split(" ");
    if (name && version) versions.set(name, version);
  }
  const release = read("kernel-release").trim();
  const packageVersion = versions.get(`linux-image-${release}:i386`);
  if (!packageVersion) throw new Error(`${dir}/VERSIONS names no linux-image-${release}:i386`);
  return {
    dir,
    vmlinuz: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    vmlinuzAmd64: join(dir, "vmlinuz-amd64"),
    release,
    packageVersion,
    versions,
  };
}
