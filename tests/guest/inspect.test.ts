// The live virtqueue inspector's machine side on a booted guest with all four virtio
// devices: the PCI list against what Linux shows in /sys/bus/pci, the net rx queue moving
// during a download, a chain read out of an rx slot, and what a view costs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { InspectorView, QueueView, VirtioDeviceView } from "../../src/inspect/types.js";

const T = 300_000;
const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function device(snap: InspectorView, name: string): VirtioDeviceView {
  const d = snap.devices.find((x) => x.name === name);
  if (!d) throw new Error(`no ${name} in the view`);
  return d;
}

function rxQueue(snap: InspectorView): QueueView {
  return device(snap, "virtio-net").queues[0]!;
}

/** Mean milliseconds per inspect() over `n` calls, after 50 to warm the JIT up. */
function costPerCall(vm: NodeMachine, n: number): number {
  for (let i = 0; i < 50; i++) vm.machine.inspect();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) vm.machine.inspect();
  return (performance.now() - t0) / n;
}

describe("the inspector on a booted machine", () => {
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine({ network: hostNetworkChoice(), disk: new CheckedDisk(new MemoryDisk((16 * MiB) / 512)) });
    await vm.shell.waitUntilReady(T);
  }, T);
  afterAll(async () => {
    await vm?.destroy();
  });

  it("lists v86's host bridge and our four virtio functions as Linux sees them", async () => {
    const snap = vm.machine.inspect();
    expect(structuredClone(snap)).toEqual(snap); // plain data: it crosses the worker API as is
    const ids = snap.pci.map((f) => `${f.vendorId.toString(16)}:${f.deviceId.toString(16)}`);
    expect(ids).toContain("8086:1237");
    expect(ids).toEqual(expect.arrayContaining(["1af4:1041", "1af4:1042", "1af4:1043", "1af4:1044"]));
    expect(snap.pci.find((f) => f.address === "00:00.0")).toMatchObject({ name: "440FX host bridge", ours: false, classCode: "06:00:00" });
    expect(snap.devices.map((d) => d.name).sort()).toEqual(["virtio-blk", "virtio-console", "virtio-rng", "virtio-net"].sort());
    for (const d of snap.devices) {
      expect(d.active).toBe(true);
      expect(snap.pci.find((f) => f.address === d.address)?.ours).toBe(true);
    }

    // Each function in the guest: address, vendor, device, irq, then its resource lines.
    const script = "for d in /sys/bus/pci/devices/*; do echo \"@ ${d##*/} $(cat $d/vendor) $(cat $d/device) $(cat $d/irq)\"; cat $d/resource; done";
    const { output } = await vm.shell.run(script, T);
    const guest = new Map<string, { vendor: number; device: number; irq: number; resources: [number, number][] }>();
    let current: { resources: [number, number][] } | undefined;
    for (const line of output.trim().split("\n")) {
      const fields = line.trim().split(/\s+/);
      if (fields[0] === "@") {
        const entry = { vendor: Number(fields[2]), device: Number(fields[3]), irq: Number(fields[4]), resources: [] as [number, number][] };
        guest.set(fields[1]!.replace(/^0000:/, ""), entry);
        current = entry;
      } else if (current && fields.length === 3) {
        current.resources.push([Number(fields[0]), Number(fields[1])]);
      }
    }
    expect([...guest.keys()].sort()).toEqual(snap.pci.map((f) => f.address).sort());
    for (const f of snap.pci) {
      const g = guest.get(f.address)!;
      expect([g.vendor, g.device], f.address).toEqual([f.vendorId, f.deviceId]);
      if (f.irqPin !== 0) expect(g.irq, f.address).toBe(f.irqLine);
      for (const bar of f.bars) {
        const [start, end] = g.resources[bar.index]!;
        expect(start, `${f.address} BAR${bar.index}`).toBe(bar.address);
        if (bar.size > 0) expect(end - start + 1, `${f.address} BAR${bar.index} size`).toBe(bar.size);
      }
    }
    const ours = snap.pci.filter((f) => f.ours);
    expect(ours.length).toBe(4);
    for (const f of ours) expect(f.bars.length).toBeGreaterThan(0);
  });

  it("shows the rx queue moving during a download, and an available rx slot's chain", async () => {
    const idle = costPerCall(vm, 200);
    const before = rxQueue(vm.machine.inspect()).usedIdx;
    await vm.shell.run("wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=33554432&seed=1' >/dev/null 2>&1 &", T);
    const seen: number[] = [];
    let busy = 0;
    let chainChecked = false;
    for (let i = 0; i < 400 && (seen.length < 5 || !chainChecked); i++) {
      await sleep(5);
      const t0 = performance.now();
      const snap = vm.machine.inspect();
      busy = Math.max(busy, performance.now() - t0);
      const rx = rxQueue(snap);
      if (seen[seen.length - 1] !== rx.usedIdx) seen.push(rx.usedIdx);
      expect(rx.slots.length).toBe(rx.size);
      const slot = rx.slots.indexOf("a");
      if (!chainChecked && slot >= 0) {
        // Same turn of the event loop as the view: the guest has not run in between.
        const chain = vm.machine.describeChain(device(snap, "virtio-net").address, 0, slot);
        expect(chain.problem).toBeUndefined();
        expect(chain.status).toBe("available");
        expect(chain.descriptors.some((d) => d.flagNames.includes("WRITE"))).toBe(true);
        expect(chain.preview.length).toBeGreaterThan(0);
        expect(structuredClone(chain)).toEqual(chain);
        chainChecked = true;
      }
    }
    const during = costPerCall(vm, 50);
    const done = await vm.shell.run("wait; echo finished", T);
    expect(done.output).toContain("finished");
    expect(chainChecked).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen[seen.length - 1]).not.toBe(before);
    console.log(`inspect(): ${idle.toFixed(3)} ms per call idle, ${during.toFixed(3)} ms during the download (slowest single call ${busy.toFixed(3)} ms)`);
  });
});
