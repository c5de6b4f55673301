// Packed virtqueues (VIRTIO_F_RING_PACKED) under Linux 6.1: one machine whose six virtio
// devices all offer packed rings (ring=packed), checked from inside the guest to have
// negotiated them (bit 34 of each device's features in sysfs) and then made to do real
// work: the shell on hvc0, entropy, a disk round trip both ways (sha256 in the guest,
// bytes on the host), a download from the host network, a shared folder, the balloon.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { DeviceDescription, MachineDescription } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../../src/description/limits.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";

const T = 120_000;
const MiB = 1024 * 1024;
const DISK_MIB = 32;
const HALF = 16 * MiB;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A disk image whose first half holds bytes the guest has never seen (xorshift). */
function diskImage(): Uint8Array {
  const image = new Uint8Array(DISK_MIB * MiB);
  let x = 0x2545f491;
  for (let i = 0; i < HALF; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    image[i] = x & 0xff; image[i + 1] = (x >>> 8) & 0xff; image[i + 2] = (x >>> 16) & 0xff; image[i + 3] = x >>> 24;
  }
  return image;
}

function machine(): MachineDescription {
  const packed = { transport: { kind: "pci" as const }, ring: "packed" as const };
  const devices: DeviceDescription[] = [
    { type: "virtio-console", ...packed },
    { type: "virtio-rng", ...packed },
    { type: "virtio-blk", ...packed, options: { backend: { kind: "memory", sizeMiB: DISK_MIB }, readOnly: false } },
    { type: "virtio-net", ...packed, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
    { type: "virtio-9p", ...packed, options: { backend: { kind: "memory" }, tag: "host", readOnly: false } },
    { type: "virtio-balloon", ...packed, options: { targetMiB: 0 } },
  ];
  return { version: 1, memoryMiB: 256, cmdline: DEFAULT_CMDLINE, devices };
}

/** Kicks and interrupts of the card's receive and transmit queues together. */
function cardNotifications(vm: NodeMachine): { kicks: number; irqs: number } {
  const net = vm.machine.deviceViews().find((d) => d.type === "virtio-net");
  let kicks = 0;
  let irqs = 0;
  for (const q of net?.virtio.queues.slice(0, 2) ?? []) {
    kicks += q.ring?.counters.kicks ?? 0;
    irqs += q.ring?.counters.interrupts ?? 0;
  }
  return { kicks, irqs };
}

describe("packed virtqueues under Linux", () => {
  let vm: NodeMachine;
  const image = diskImage();
  const disk = new CheckedDisk(MemoryDisk.fromImage(image));
  const run = async (command: string) => {
    const r = await vm.shell.run(command, T);
    expect(r.status, r.output).toBe(0);
    return r.output;
  };

  beforeAll(async () => {
    vm = await startNodeMachine({ description: machine(), backends: new Map([[2, { disk }]]) });
    await vm.shell.waitUntilReady(T);
  }, T);
  afterAll(async () => {
    await vm?.destroy();
  });

  it("every device negotiated RING_PACKED, as the guest and the host both see it", async () => {
    // sysfs prints the features as a string of 0s and 1s, bit 0 first: bit 34 is the 35th character.
    const out = await run("for f in /sys/bus/virtio/devices/*; do echo $(cat $f/device) $(cut -c35 $f/features); done | sort");
    expect(out).toBe(["0x0001 1", "0x0002 1", "0x0003 1", "0x0004 1", "0x0005 1", "0x0009 1", ""].join("\n"));
    for (const d of vm.machine.deviceViews()) {
      expect(d.virtio.featuresNegotiatedNames, d.type).toContain("RING_PACKED");
      const live = d.virtio.queues.filter((q) => q.ring);
      expect(live.length, d.type).toBeGreaterThan(0);
      for (const q of live) expect(q.ring!.layout, `${d.type} queue ${q.index}`).toBe("packed");
    }
  });

  it("runs the shell on hvc0 and reads 64 KiB of entropy", async () => {
    // $$ is the interactive shell itself: its output goes to hvc0 (a command's stdin is redirected).
    expect(await run("readlink /proc/$$/fd/1; echo $((6 * 7))")).toBe("/dev/hvc0\n42\n");
    expect(await run("head -c 65536 /dev/hwrng | wc -c")).toBe("65536\n");
  });

  it("reads 16 MiB the host wrote (sha256 compared) and copies them to the disk's second half, which the host reads back", async () => {
    const read = await run(`dd if=/dev/vda bs=1M count=16 2>/dev/null | sha256sum`);
    expect(read.split(" ")[0]).toBe(sha256(image.subarray(0, HALF)));
    await run("dd if=/dev/vda of=/dev/vda bs=1M count=16 seek=16 conv=fsync 2>/dev/null");
    const onHost = new Uint8Array(HALF);
    disk.read(HALF / 512, onHost);
    expect(sha256(onHost)).toBe(sha256(image.subarray(0, HALF)));
  });

  it("downloads 8 MiB from the host network, matching its sha256", async () => {
    const got = await run(`wget -q -O - 'http://10.0.2.2/blob?bytes=${8 * MiB}&seed=11' | sha256sum`);
    expect(got.split(" ")[0]).toBe(blobSha256(8 * MiB, 11));
  });

  it("keeps the shared channel's kick and interrupt bounds on a 64 MiB bulk download", async () => {
    const before = cardNotifications(vm);
    await run(`wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=${64 * MiB}&seed=12'`);
    const after = cardNotifications(vm);
    // The same transfer and bounds as the split ring's (virtio-net.test.ts): far below one
    // kick per 64 KiB, and few interrupts, because the pair polls both rings while traffic flows.
    expect((after.kicks - before.kicks) / 64).toBeLessThan(1);
    expect((after.irqs - before.irqs) / 64).toBeLessThan(64);
  });

  it("writes and reads back a file on the 9p share", async () => {
    const out = await run("head -c 1048576 /dev/urandom > /tmp/p && cp /tmp/p /mnt/host/p && cmp /tmp/p /mnt/host/p && echo same && ls -l /mnt/host/p | awk '{print $5}'");
    expect(out).toBe("same\n1048576\n");
  });

  it("gives the balloon its target and takes it back", async () => {
    const balloon = vm.machine.balloon!;
    const until = async (what: string, check: () => boolean) => {
      for (let i = 0; i < 60 && !check(); i++) await run("sleep 0.5");
      expect(check(), what).toBe(true);
    };
    balloon.setTarget(32 * MiB);
    await until("32 MiB in the balloon", () => balloon.stats().actualBytes === 32 * MiB);
    balloon.setTarget(0);
    await until("the balloon empty again", () => balloon.stats().actualBytes === 0);
  });
});
