// Boot-to-shell from a disk in Node: SeaBIOS boots images/disk/build-boot-disk.sh's image
// through ringside's virtio-blk, syslinux loads the kernel from it, and the kernel mounts
// its root filesystem from it, with no bzImage or initrd given to v86. Timed like the
// cold kernel boot (boot-node.ts), from the start of image loading to the first prompt;
// the firmware phase now holds SeaBIOS reading the disk and the boot loader, whose share
// is timed from syslinux's banner on the serial port.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNodeMachine } from "../src/node/node-machine.js";
import type { BootPhase } from "../src/machine/boot-phases.js";
import { breakdown, parseRunInit, type BootBreakdown } from "./boot-phases.js";
import { buildBootDisk, copyBootDisk, diskBootMachine, type BootDisk } from "../tests/support/disk-boot-image.js";

/** syslinux's first line on the serial port (its SERIAL directive puts it there). */
const BOOT_LOADER_BANNER = /SYSLINUX \d/;

export interface DiskBootBench {
  bootOnce(): Promise<BootBreakdown>;
  close(): Promise<void>;
}

/** Builds (or finds) the boot disk; each boot then takes a fresh copy, as a cold boot would. */
export async function prepareDiskBoot(): Promise<DiskBootBench> {
  const disk: BootDisk = await buildBootDisk();
  const dir = await mkdtemp(join(tmpdir(), "ringside-bench-disk-"));
  let n = 0;
  return {
    bootOnce: async () => bootDiskOnce(await copyBootDisk(disk, join(dir, `boot-${n++}.img`))),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

async function bootDiskOnce(image: string): Promise<BootBreakdown> {
  const at: Partial<Record<BootPhase, number>> = {};
  const t0 = performance.now();
  let serial = "";
  let bannerAt: number | undefined;
  const vm = await startNodeMachine({
    description: diskBootMachine(image),
    onPhase: (phase, ms) => (at[phase] = ms),
    onSerial: (bytes) => {
      if (bannerAt !== undefined) return;
      serial = (serial + new TextDecoder().decode(bytes)).slice(-256);
      if (BOOT_LOADER_BANNER.test(serial)) bannerAt = performance.now() - t0;
    },
  });
  try {
    await vm.shell.waitUntilReady(120_000);
    // As in boot-node.ts: a boot slower than the shell session's first probe never marks
    // the "shell" phase; the moment the session found the shell stands in for it.
    at.shell ??= performance.now() - t0;
    const { output } = await vm.shell.run("dmesg | grep 'Run /'", 30_000);
    const result = breakdown(at, parseRunInit(output));
    if (bannerAt === undefined || at.decompress === undefined) throw new Error("the boot loader's banner never showed on the serial port");
    return { ...result, bootLoader: at.decompress - bannerAt };
  } finally {
    await vm.destroy();
    await rm(image, { force: true });
  }
}
