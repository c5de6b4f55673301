// Booting from a disk: SeaBIOS finds ringside's virtio-blk with its own virtio driver (a
// second client of the device, independent of Linux's), boots the disk's MBR, and
// syslinux loads the kernel from the FAT partition through it; the kernel then mounts the
// disk's ext2 partition as / with its own driver. The image is built by
// images/disk/build-boot-disk.sh (cached in .cache/boot-disk/).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { BootPhase } from "../../src/machine/boot-phases.js";
import { runCli } from "../support/cli-run.js";
import { buildBootDisk, copyBootDisk, diskBootMachine, type BootDisk } from "../support/disk-boot-image.js";

const T = 60_000;

/** The disk's request counters as the device model keeps them. */
function blkFigures(vm: NodeMachine): { reads: number; bytesRead: number } {
  const view = vm.machine.deviceViews().find((d) => d.type === "virtio-blk");
  if (view?.type !== "virtio-blk") throw new Error("the machine has no virtio-blk");
  return { reads: view.stats.requests.read, bytesRead: view.stats.disk.bytesRead };
}

describe("booting from a virtio disk through the firmware", () => {
  let disk: BootDisk;
  let dir: string;
  beforeAll(async () => {
    disk = await buildBootDisk();
    dir = await mkdtemp(join(tmpdir(), "ringside-disk-boot-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("boots the disk's own kernel with the disk's root filesystem, SeaBIOS reading through our device", async () => {
    const image = await copyBootDisk(disk, join(dir, "a.img"));
    const kernelBytes = (await stat(new URL("../../images/bzImage", import.meta.url))).size;
    const at: Partial<Record<BootPhase, number>> = {};
    let serial = "";
    let vm: NodeMachine | undefined;
    // What the device had served when the kernel's decompressor printed: everything read by
    // then was read by SeaBIOS's driver for syslinux (Linux's driver does not exist yet).
    const beforeLinux: { figures?: { reads: number; bytesRead: number }; problem: string } = { problem: "the decompressor never printed" };
    vm = await startNodeMachine({
      description: diskBootMachine(image),
      onSerial: (bytes) => (serial += new TextDecoder().decode(bytes)),
      onPhase: (phase, ms) => {
        at[phase] = ms;
        if (phase !== "decompress") return;
        if (vm) beforeLinux.figures = blkFigures(vm);
        else beforeLinux.problem = "the decompressor printed before the machine was returned";
      },
    });
    try {
      await vm.shell.waitUntilReady(T);
      // The firmware phase now holds SeaBIOS reading the disk and syslinux loading the kernel.
      console.log(`disk boot: firmware and boot loader took ${Math.round(at.decompress! - at.firmware!)} ms`);

      // The firmware booted the disk: syslinux ran (it prints on the serial port too) and
      // loaded the kernel, all of whose bytes came through our device before Linux ran.
      expect(serial).toMatch(/SYSLINUX \d/);
      expect(serial).toMatch(/Loading bzImage\.\.\. ok/);
      const early = beforeLinux.figures;
      if (!early) throw new Error(beforeLinux.problem);
      expect(early.reads).toBeGreaterThan(10);
      expect(early.bytesRead).toBeGreaterThanOrEqual(kernelBytes);
      // Then Linux's own driver read the root filesystem through the same device.
      expect(blkFigures(vm).reads).toBeGreaterThan(early.reads);

      // The kernel's command line is the disk's boot config's (syslinux adds BOOT_IMAGE).
      expect((await vm.shell.run("cat /proc/cmdline", T)).output).toBe(`BOOT_IMAGE=bzImage ${disk.cmdline}\n`);
      // / is the disk's second partition, read-write, ext2; and it holds what only the disk has.
      const root = await vm.shell.run("grep '^[0-9]* [0-9]* [0-9:]* / / ' /proc/self/mountinfo; cat /sys/class/block/vda2/dev", T);
      const [mount, vda2] = root.output.trim().split("\n");
      expect(mount!.split(" ")[2]).toBe(vda2);
      expect(mount).toMatch(/ \/ \/ rw,.* - ext2 /);
      expect((await vm.shell.run("cat /etc/ringside-boot-disk", T)).output).toMatch(/boot disk built by images\/disk\/build-boot-disk\.sh/);
      // What the guest writes lands on the disk.
      expect((await vm.shell.run("echo written-in-the-guest > /root/note && sync && cat /root/note", T)).output).toBe("written-in-the-guest\n");
      // SeaBIOS was told there is no floppy drive (the BIOS data area's equipment word, bit 0
      // and bits 6-7): with one, syslinux's floppy reset waited 5 s for an interrupt.
      const equipment = await vm.shell.run("dd if=/dev/mem bs=1 skip=1040 count=1 2>/dev/null | od -An -tu1", T);
      expect(Number(equipment.output.trim()) & 0xc1).toBe(0);
    } finally {
      await vm.destroy();
    }
  });

  it("boots it from the CLI: npm run vm -- --disk IMG --boot disk --exec ...", async () => {
    const image = await copyBootDisk(disk, join(dir, "b.img"));
    const r = await runCli(["--disk", image, "--boot", "disk", "--exec", "cat /proc/cmdline", "--exec", "cat /etc/ringside-boot-disk >/dev/null && echo root-from-disk"]);
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ code: 0, stdout: `BOOT_IMAGE=bzImage ${disk.cmdline}\nroot-from-disk\n` });
  });
});
