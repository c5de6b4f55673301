// Whole-machine snapshots with the real kernel: a machine saved in the middle of a
// download, with data on its disk and in its RAM, is destroyed; a new machine (new host
// network, new blank disk) takes the state up, and the download finishes with the right
// sha256, the files are there, and every device works on.
import { afterAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { readMachineState } from "../../src/machine/machine-state.js";
import { waitUntil } from "../support/wait-until.js";

const T = 300_000;
const MiB = 1024 * 1024;
const DISK_SECTORS = (64 * MiB) / 512;
const DOWNLOAD = 160 * MiB;
const SEED = 11;

function rxBytes(vm: NodeMachine): number {
  const net = vm.machine.deviceViews().find((d) => d.virtio.name === "virtio-net");
  return net?.virtio.queues[0]?.ring?.counters.bytesWritten ?? 0;
}


describe("machine snapshots", () => {
  const machines: NodeMachine[] = [];
  afterAll(async () => {
    for (const vm of machines) await vm.destroy();
  });

  it("a download interrupted by save and restore completes with the right sha256, and the disk, RAM and devices carry on", async () => {
    const first = await startNodeMachine({ network: hostNetworkChoice(), disk: new CheckedDisk(new MemoryDisk(DISK_SECTORS)) });
    machines.push(first);
    await first.shell.waitUntilReady(T);
    const setup = await first.shell.run(
      "echo kept-in-ram > /tmp/marker; head -c 65536 /dev/urandom > /tmp/disk-data; dd if=/tmp/disk-data of=/dev/vda bs=4096 seek=100 conv=fsync 2>/dev/null; " +
        "sha256sum < /tmp/disk-data",
      T,
    );
    expect(setup.status, setup.output).toBe(0);
    const diskSum = setup.output.trim().split(/\s+/)[0];
    const started = await first.shell.run(
      `(wget -q -O - 'http://10.0.2.2/blob?bytes=${DOWNLOAD}&seed=${SEED}' | sha256sum > /tmp/dl.sum) </dev/null >/dev/null 2>&1 & echo started`,
      T,
    );
    expect(started.output).toBe("started\n");
    const before = rxBytes(first);
    await waitUntil(() => rxBytes(first) - before > 8 * MiB, "8 MiB of the download", T);
    const file = await first.machine.saveState();
    const atSave = rxBytes(first) - before;
    await first.destroy();
    machines.splice(machines.indexOf(first), 1);
    // Saved part of the way through, not before or after.
    expect(atSave).toBeGreaterThan(8 * MiB);
    expect(atSave).toBeLessThan(DOWNLOAD);

    const snapshot = readMachineState(await decodeStateFile(file));
    expect(snapshot.header.machine.devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng", "virtio-blk", "virtio-net"]);
    const second = await startNodeMachine({ network: hostNetworkChoice(), disk: new CheckedDisk(new MemoryDisk(DISK_SECTORS)), restore: snapshot });
    machines.push(second);
    second.shell.resumeReady();
    const done = await second.shell.run("wait; cat /tmp/dl.sum", T);
    expect(done.output.trim().split(/\s+/)[0]).toBe(blobSha256(DOWNLOAD, SEED));
    // The rest of the download really went through the restored device.
    expect(rxBytes(second)).toBeGreaterThan(DOWNLOAD - atSave);

    const after = await second.shell.run("cat /tmp/marker; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=4096 skip=100 count=16 2>/dev/null | sha256sum; head -c 4096 /dev/hwrng | wc -c", T);
    const [marker, disk, rng] = after.output.trim().split("\n");
    expect(marker).toBe("kept-in-ram");
    expect(disk?.split(/\s+/)[0]).toBe(diskSum);
    expect(rng?.trim()).toBe("4096");
    const fresh = await second.shell.run(`wget -q -O - 'http://10.0.2.2/blob?bytes=${4 * MiB}&seed=2' | sha256sum`, T);
    expect(fresh.output.split(/\s+/)[0]).toBe(blobSha256(4 * MiB, 2));
  }, T);
});
