// ringside's virtio-blk from inside the guest: data survives a restart of the machine,
// a read-only disk refuses writes cleanly, discard and write-zeroes reach the backend.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { NodeFileDisk } from "../../src/backends/node-file-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import type { Disk } from "../../src/backends/disk.js";

const T = 120_000;
const MiB = 1024 * 1024;

async function boot(disk: Disk): Promise<NodeMachine> {
  const vm = await startNodeMachine({ disk });
  await vm.shell.waitUntilReady(T);
  return vm;
}

describe("virtio-blk in the guest", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it("keeps 64 MiB of random data across a machine restart (file-backed, sha256 compared)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ringside-blk-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, "disk.img");

    const first = new CheckedDisk(NodeFileDisk.open(path, { createSize: 96 * MiB }));
    let vm = await boot(first);
    expect((await vm.shell.run("cat /sys/block/vda/size", T)).output).toBe(`${(96 * MiB) / 512}\n`);
    const write = await vm.shell.run("dd if=/dev/urandom of=/dev/vda bs=1M count=64 conv=fsync 2>/dev/null && dd if=/dev/vda bs=1M count=64 2>/dev/null | sha256sum", T);
    expect(write.status).toBe(0);
    const written = write.output.split(" ")[0]!;
    await vm.destroy();
    first.backend.close();
    expect(first.counters.flushes).toBeGreaterThan(0);

    // What the host file holds is what the guest wrote...
    const file = await readFile(path);
    expect(createHash("sha256").update(file.subarray(0, 64 * MiB)).digest("hex")).toBe(written);
    // ...and a new machine on the same file reads the same bytes back.
    const second = new CheckedDisk(NodeFileDisk.open(path));
    cleanup.push(() => second.backend.close());
    vm = await boot(second);
    cleanup.push(() => vm.destroy());
    const again = await vm.shell.run("dd if=/dev/vda bs=1M count=64 2>/dev/null | sha256sum", T);
    expect(again.output.split(" ")[0]).toBe(written);
  });

  it("refuses writes to a read-only disk cleanly, and the image stays as it was", async () => {
    const image = new Uint8Array(8 * MiB).fill(0x5a);
    const disk = new CheckedDisk(MemoryDisk.fromImage(image, { readOnly: true }));
    const vm = await boot(disk);
    cleanup.push(() => vm.destroy());
    expect((await vm.shell.run("cat /sys/block/vda/ro", T)).output).toBe("1\n");
    const w = await vm.shell.run("dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>&1", T);
    expect(w.status).not.toBe(0);
    expect((await vm.shell.run("dd if=/dev/vda bs=4096 count=1 2>/dev/null | od -An -tx1 | head -1", T)).output.trim()).toMatch(/^(5a ?){16}$/);
    expect(disk.counters.bytesWritten).toBe(0);
    // The machine and the device carry on.
    expect((await vm.shell.run("echo still-here", T)).output).toBe("still-here\n");
    const blk = vm.machine.deviceViews().find((d) => d.virtio.name === "virtio-blk")!;
    expect(blk.virtio.active).toBe(true);
    expect(blk.virtio.featuresNegotiatedNames).toEqual(expect.arrayContaining(["BLK_F_RO", "BLK_F_FLUSH", "VERSION_1"]));
  });

  it("passes discard and write-zeroes to the backend, and an ext2 filesystem survives a remount", async () => {
    const disk = new CheckedDisk(new MemoryDisk((32 * MiB) / 512));
    const vm = await boot(disk);
    cleanup.push(() => vm.destroy());
    await vm.shell.run("dd if=/dev/urandom of=/dev/vda bs=1M count=8 2>/dev/null; sync", T);
    const allocated = disk.backend.allocatedBytes;
    expect(allocated).toBeGreaterThanOrEqual(8 * MiB);
    expect((await vm.shell.run("blkdiscard /dev/vda", T)).status).toBe(0);
    expect(disk.counters.discards + disk.counters.writeZeroes).toBeGreaterThan(0);
    expect(disk.backend.allocatedBytes).toBeLessThan(allocated);
    expect((await vm.shell.run("dd if=/dev/vda bs=1M count=8 2>/dev/null | tr -d '\\000' | wc -c", T)).output.trim()).toBe("0");

    const fs = await vm.shell.run(
      "mke2fs /dev/vda >/dev/null 2>&1 && mount /dev/vda /mnt && echo ringside-file > /mnt/f && umount /mnt && mount /dev/vda /mnt && cat /mnt/f && umount /mnt",
      T,
    );
    expect(fs).toEqual({ output: "ringside-file\n", status: 0 });
  });

  it("mkfs.ext4, mount, write, umount, then fsck comes back clean (and finds damage when there is some)", async () => {
    const disk = new CheckedDisk(new MemoryDisk((64 * MiB) / 512));
    const vm = await boot(disk);
    cleanup.push(() => vm.destroy());
    // rc.boot leaves the disk without an I/O scheduler (a read is issued by the reading task,
    // with no hand-off to a kblockd worker), and e2fsprogs packed: the first run of one of its
    // tools unpacks it, so a boot does not pay for 4 MB it may never use.
    expect((await vm.shell.run("cat /sys/block/vda/queue/scheduler", T)).output).toMatch(/\[none\]/);
    expect((await vm.shell.run("test -e /lib/i386-linux-gnu/libc.so.6; echo packed-$?", T)).output).toBe("packed-1\n");
    const mkfs = await vm.shell.run("mkfs.ext4 -q -b 4096 -L ringside-test /dev/vda 2>&1", T);
    expect(mkfs.status).toBe(0);
    // mke2fs discards the whole device first and zeroes the journal with BLKZEROOUT:
    // both reach the backend as DISCARD and WRITE_ZEROES requests.
    expect(disk.counters.discards).toBeGreaterThan(0);
    expect(disk.counters.writeZeroes).toBeGreaterThan(0);
    const write = await vm.shell.run(
      "mount /dev/vda /mnt && grep ' /mnt ' /proc/mounts | cut -d' ' -f3 && mkdir /mnt/d && " +
        "dd if=/dev/urandom of=/mnt/d/data bs=64k count=64 2>/dev/null && sha256sum /mnt/d/data > /mnt/sum && umount /mnt",
      T,
    );
    expect(write).toEqual({ output: "ext4\n", status: 0 });
    const fsck = await vm.shell.run("fsck -f -n /dev/vda 2>&1; echo exit-$?", T);
    // 11 reserved inodes + lost+found, d, d/data and sum: 14 in use, all accounted for.
    expect(fsck.output).toMatch(/^ringside-test: 14\/\d+ files/m);
    expect(fsck.output).toMatch(/exit-0\n$/);
    const check = await vm.shell.run("mount -o ro /dev/vda /mnt && cd /mnt && sha256sum -c sum; cd /; umount /mnt", T);
    expect(check.output).toBe("/mnt/d/data: OK\n");

    // The same fsck must notice damage: zero the first block of group 0's inode table
    // (root directory's inode among them). With 4 KiB blocks the group descriptors start
    // at block 1, and bg_inode_table_lo is at byte 8 of the first one.
    const gd = await vm.shell.run("dd if=/dev/vda bs=4 skip=$(( (4096 + 8) / 4 )) count=1 2>/dev/null | od -An -tu4", T);
    const inodeTable = Number.parseInt(gd.output.trim(), 10);
    expect(inodeTable).toBeGreaterThan(0);
    await vm.shell.run(`dd if=/dev/zero of=/dev/vda bs=4096 seek=${inodeTable} count=1 conv=notrunc,fsync 2>/dev/null`, T);
    const damaged = await vm.shell.run("fsck -f -n /dev/vda >/dev/null 2>&1; echo exit-$?", T);
    expect(damaged.output).not.toBe("exit-0\n");
  });
});
