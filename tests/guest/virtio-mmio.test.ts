// The same devices on the second transport: virtio-mmio (version 2) windows that the
// kernel finds on its command line (virtio_mmio.device=), with the console on PCI beside
// them. In the guest: the devices bind under virtio-mmio platform devices, the rng gives
// bytes, a 16 MiB download from the host network keeps its sha256 and so does its round
// trip through the disk, and the interrupts arrive on the lines the machine chose. Then the machine is
// saved in the middle of a download and taken up by a fresh one, where the guest carries
// on; a state whose device moved to PCI is refused by name. Last, a machine with its
// console (and so its shell) on virtio-mmio.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { readMachineState } from "../../src/machine/machine-state.js";
import type { DeviceDescription, MachineDescription } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from "../../src/description/limits.js";
import { MACHINE_DESCRIPTION_VERSION } from "../../src/description/machine-description.js";
import { waitUntil } from "../support/wait-until.js";

const T = 120_000;
const MiB = 1024 * 1024;
const mmio = { kind: "mmio" } as const;
const DOWNLOAD = 16 * MiB;

function describe4(consoleOn: "pci" | "mmio"): MachineDescription {
  const devices: DeviceDescription[] = [
    { type: "virtio-console", transport: consoleOn === "pci" ? { kind: "pci" } : mmio },
    { type: "virtio-rng", transport: mmio },
    { type: "virtio-blk", transport: mmio, options: { backend: { kind: "memory", sizeMiB: 32 }, readOnly: false } },
    { type: "virtio-net", transport: mmio, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
  ];
  return { version: MACHINE_DESCRIPTION_VERSION, memoryMiB: DEFAULT_MEMORY_MIB, cmdline: DEFAULT_CMDLINE, devices };
}

async function run(vm: NodeMachine, command: string): Promise<string> {
  const { output, status } = await vm.shell.run(command, T);
  expect(status, output).toBe(0);
  return output;
}

/** Interrupt counts by IRQ line from /proc/interrupts, with the names on each line. */
function interrupts(text: string): Map<number, { count: number; names: string }> {
  const lines = new Map<number, { count: number; names: string }>();
  for (const m of text.matchAll(/^\s*(\d+):\s+(\d+)\s+\S+\s+(.*)$/gm)) lines.set(Number(m[1]), { count: Number(m[2]), names: m[3]!.trim() });
  return lines;
}

/** Bytes the network card's receive queue has written into guest buffers. */
function rxBytes(vm: NodeMachine): number {
  const net = vm.machine.deviceViews().find((d) => d.type === "virtio-net");
  return net?.virtio.queues[0]?.ring?.counters.bytesWritten ?? 0;
}


describe("virtio-mmio in the guest", () => {
  const machines: NodeMachine[] = [];
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine({ description: describe4("pci") });
    machines.push(vm);
    await vm.shell.waitUntilReady(T);
  }, T);
  afterAll(async () => {
    for (const m of machines) await m.destroy();
  });

  it("places the windows and lines, tells the kernel, and the devices bind under virtio-mmio", async () => {
    const built = vm.machine.description.devices.map((d) => d.transport);
    expect(built.slice(1)).toEqual([
      { kind: "mmio", base: 0xd0000000, irq: 5 },
      { kind: "mmio", base: 0xd0000200, irq: 9 },
      { kind: "mmio", base: 0xd0000400, irq: 6 },
    ]);
    expect(await run(vm, "cat /proc/cmdline")).toContain("virtio_mmio.device=0x200@0xd0000000:5 virtio_mmio.device=0x200@0xd0000200:9 virtio_mmio.device=0x200@0xd0000400:6");
    // Each virtio device: its ID and the bus device it hangs under.
    const bound = await run(vm, "for d in /sys/bus/virtio/devices/*; do echo $(cat $d/device) $(basename $(readlink -f $d/..)) $(basename $(readlink $d/driver)); done");
    const lines = bound.trim().split("\n").sort();
    expect(lines).toHaveLength(4);
    expect(lines.filter((l) => / virtio-mmio\.\d /.test(l)).map((l) => l.split(" ")[0]).sort()).toEqual(["0x0001", "0x0002", "0x0004"]);
    expect(lines.find((l) => l.startsWith("0x0003"))).toMatch(/^0x0003 0000:00:[\da-f]{2}\.0 virtio_console$/);
    expect((await run(vm, "ls /sys/bus/platform/devices/ | grep virtio-mmio")).trim().split("\n")).toHaveLength(3);
    expect(await run(vm, "grep virtio-mmio /proc/iomem | head -3")).toMatch(/d0000000-d00001ff : virtio-mmio\.0/);
    const views = vm.machine.deviceViews();
    expect(views.map((v) => (v.mmio ? `${v.type}@${v.mmio.irq}` : `${v.type}@pci`))).toEqual(["virtio-console@pci", "virtio-rng@5", "virtio-blk@9", "virtio-net@6"]);
    for (const v of views) expect(v.virtio.active, v.label).toBe(true);
  }, T);

  it("reads the rng, downloads 16 MiB with the right sha256, and the disk gives the same bytes back", async () => {
    expect((await run(vm, "head -c 65536 /dev/hwrng | wc -c")).trim()).toBe("65536");
    // The download is the data for the disk round trip: the host knows its sha256.
    const sums = await run(
      vm,
      `wget -q -O /tmp/data 'http://10.0.2.2/blob?bytes=${16 * MiB}&seed=3'; sha256sum < /tmp/data; dd if=/tmp/data of=/dev/vda bs=1M conv=fsync 2>/dev/null; ` +
        "rm /tmp/data; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M count=16 2>/dev/null | sha256sum",
    );
    const [downloaded, readBack] = sums.trim().split("\n").map((l) => l.split(/\s+/)[0]);
    expect(downloaded).toBe(blobSha256(16 * MiB, 3));
    expect(readBack).toBe(downloaded);
  }, T);

  it("takes the interrupts on the chosen lines, and the inspector lists the windows", async () => {
    const lines = interrupts(await run(vm, "cat /proc/interrupts"));
    for (const irq of [5, 9, 6]) {
      expect(lines.get(irq)?.names, `IRQ ${irq}`).toMatch(/^virtio\d+$/);
      expect(lines.get(irq)?.count, `IRQ ${irq}`).toBeGreaterThan(0);
    }
    const view = vm.machine.inspect();
    expect(view.mmio.map((m) => [m.address, m.irq, m.magic, m.version, m.deviceId, m.status])).toEqual([
      ["mmio@0xd0000000", 5, 0x74726976, 2, 4, 0xf],
      ["mmio@0xd0000200", 9, 0x74726976, 2, 2, 0xf],
      ["mmio@0xd0000400", 6, 0x74726976, 2, 1, 0xf],
    ]);
    expect(view.devices.map((d) => d.address).slice(1)).toEqual(["mmio@0xd0000000", "mmio@0xd0000200", "mmio@0xd0000400"]);
    // A chain can be looked up by the mmio address as by a PCI one.
    expect(vm.machine.describeChain("mmio@0xd0000400", 0, 0).problem).toBeUndefined();
  }, T);

  it("is saved in the middle of a download and a fresh machine carries on; a state whose device moved transport is refused", async () => {
    const before = rxBytes(vm);
    // The reader sleeps first: the pipe and the socket fill and the download stalls for a
    // while, so the save lands in the middle of it whatever the host's load. Not awaited:
    // the save does not wait for the shell's prompt either.
    const command = `(wget -q -O - 'http://10.0.2.2/blob?bytes=${DOWNLOAD}&seed=5' | { sleep 3; sha256sum; } > /tmp/dl.sum) </dev/null >/dev/null 2>&1 &`;
    void vm.shell.run(command, T).catch(() => {});
    await waitUntil(() => rxBytes(vm) - before > 64 * 1024, "the download to start", T);
    const file = await vm.machine.saveState();
    const atSave = rxBytes(vm) - before;
    expect(atSave).toBeLessThan(DOWNLOAD);
    await vm.destroy();
    machines.splice(machines.indexOf(vm), 1);
    const snapshot = readMachineState(await decodeStateFile(file));
    expect(snapshot.header.machine.devices[2]!.transport).toEqual({ kind: "mmio", base: 0xd0000200, irq: 9 });

    const second = await startNodeMachine({ restore: snapshot });
    machines.push(second);
    second.shell.resumeReady();
    const done = await run(second, "wait; cat /tmp/dl.sum");
    expect(done.split(/\s+/)[0]).toBe(blobSha256(DOWNLOAD, 5));
    expect(rxBytes(second)).toBeGreaterThan(DOWNLOAD - atSave); // the rest came through the restored device
    const after = await run(second, "head -c 4096 /dev/hwrng | wc -c; dd if=/dev/urandom of=/dev/vda bs=4096 count=1 seek=4000 conv=fsync 2>/dev/null && echo written");
    expect(after).toBe("4096\nwritten\n");

    const moved: MachineDescription = { ...snapshot.header.machine, devices: snapshot.header.machine.devices.map((d) => (d.type === "virtio-rng" ? { ...d, transport: { kind: "pci" as const } } : d)) };
    await expect(startNodeMachine({ description: moved, restore: snapshot })).rejects.toThrow(/virtio-rng.*virtio-mmio.*PCI/);
  }, T);
});

describe("virtio-mmio console", () => {
  let vm: NodeMachine | undefined;
  afterAll(async () => {
    await vm?.destroy();
  });

  it("runs the shell over a console on virtio-mmio", async () => {
    vm = await startNodeMachine({ description: describe4("mmio") });
    await vm.shell.waitUntilReady(T);
    vm.machine.resizeConsole(91, 33);
    expect(await run(vm, "echo hello; tty <&1; stty size </dev/hvc0")).toBe("hello\n/dev/hvc0\n33 91\n");
    expect(vm.machine.description.devices[0]!.transport).toEqual({ kind: "mmio", base: 0xd0000000, irq: 5 });
  }, T);
});
