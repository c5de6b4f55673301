// The boot disk the disk-boot tests and the benchmark boot: built (or found in its cache)
// by images/disk/build-boot-disk.sh, and copied for each boot, since a guest that boots it
// read-write changes it (the script would then build it again).
import { execFile } from "node:child_process";
import { copyFile, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { MachineDescription } from "../../src/description/machine-description.js";
import { MACHINE_DESCRIPTION_VERSION } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from "../../src/description/limits.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface BootDisk {
  /** The cached image (never boot it read-write: use a copy). */
  path: string;
  /** The kernel command line its boot config gives (syslinux.cfg's APPEND line). */
  cmdline: string;
}

/** Runs the build script (seconds when the cache is current; it may apt-get install tools as root). */
export async function buildBootDisk(): Promise<BootDisk> {
  const { stdout } = await promisify(execFile)("bash", [join(root, "images/disk/build-boot-disk.sh")], { cwd: root, maxBuffer: 1 << 20 });
  const path = stdout.trim().split("\n").at(-1) ?? "";
  if (!path.endsWith("boot.img")) throw new Error(`build-boot-disk.sh printed no image path: ${JSON.stringify(stdout)}`);
  const config = await readFile(join(dirname(path), "syslinux.cfg"), "utf8");
  const append = /^\s*APPEND (.*)$/m.exec(config);
  if (!append) throw new Error(`no APPEND line in ${dirname(path)}/syslinux.cfg`);
  return { path, cmdline: append[1]!.trim() };
}

/** A copy of the image at `to`, for a boot that may write to it. */
export async function copyBootDisk(disk: BootDisk, to: string): Promise<string> {
  await copyFile(disk.path, to);
  return to;
}

/**
 * A machine that boots `file` through the firmware: the console (the shell), the rng, and
 * the disk as the first virtio-blk (vda). The command line is the disk's own; this one is
 * never used.
 */
export function diskBootMachine(file: string, readOnly = false): MachineDescription {
  const transport = { kind: "pci" as const };
  return {
    version: MACHINE_DESCRIPTION_VERSION,
    memoryMiB: DEFAULT_MEMORY_MIB,
    cmdline: DEFAULT_CMDLINE,
    boot: { kind: "disk" },
    devices: [
      { type: "virtio-console", transport },
      { type: "virtio-rng", transport },
      { type: "virtio-blk", transport, options: { backend: { kind: "file", path: file }, readOnly } },
    ],
  };
}
