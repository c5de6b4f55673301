// The tools disk with Debian's i386 iperf3, built by images/tools/build-iperf3-disk.sh: the
// first build downloads about 5 MB of Debian packages (seconds); after that the script only
// prints where its cache is, without touching the network. Several test files may ask at
// once: the script takes a lock, and within one process the build runs once.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BUILD_IPERF3_SCRIPT = fileURLToPath(new URL("../../images/tools/build-iperf3-disk.sh", import.meta.url));

/** Long enough for a first build on a slow mirror; a later call takes milliseconds. */
export const IPERF3_BUILD_TIMEOUT_MS = 300_000;

/** Where the guest mounts the disk, and the command that runs iperf3 from it. */
export const TOOLS_MOUNT = "/mnt/tools";
export const GUEST_IPERF3 = `${TOOLS_MOUNT}/iperf3`;

export interface Iperf3Disk {
  /** The ext2 image (attach it read-only: it is shared by every test and the bench). */
  path: string;
  /** Each package on the disk with its exact version ("iperf3:i386" → "3.12-1+deb12u2"). */
  versions: ReadonlyMap<string, string>;
  /** iperf3's upstream version, what `iperf3 --version` prints ("3.12"). */
  upstreamVersion: string;
}

let built: Promise<Iperf3Disk> | undefined;

/** Runs build-iperf3-disk.sh once per process and reads the versions it recorded. */
export function iperf3Disk(): Promise<Iperf3Disk> {
  built ??= build();
  return built;
}

async function build(): Promise<Iperf3Disk> {
  const path = await new Promise<string>((resolve, reject) => {
    execFile("bash", [BUILD_IPERF3_SCRIPT], { timeout: IPERF3_BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`images/tools/build-iperf3-disk.sh failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve(stdout.trim().split("\n").pop() ?? "");
    });
  });
  if (!path.endsWith("/iperf3.img")) throw new Error(`build-iperf3-disk.sh printed no image path: ${JSON.stringify(path)}`);
  const versions = new Map<string, string>();
  for (const line of readFileSync(join(dirname(path), "VERSIONS"), "utf8").split("\n")) {
    const [name, version] = line.split(" ");
    if (name && version) versions.set(name, version);
  }
  const full = versions.get("iperf3:i386");
  if (!full) throw new Error(`${dirname(path)}/VERSIONS names no iperf3:i386`);
  // Debian's version is [epoch:]upstream[-revision]; iperf3 prints only the upstream part.
  const upstreamVersion = full.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
  return { path, versions, upstreamVersion };
}

/** Guest shell commands that mount the disk (the `index`-th virtio-blk, vda first) read-only. */
export function mountToolsDisk(index = 0): string {
  const dev = `/dev/vd${String.fromCharCode(97 + index)}`;
  return `mkdir -p ${TOOLS_MOUNT} && mount -t ext2 -o ro ${dev} ${TOOLS_MOUNT}`;
}
