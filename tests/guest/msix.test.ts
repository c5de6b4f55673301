// MSI-X in the guest: with msix=on the machine turns on v86's APIC, Linux's virtio_pci
// gives every queue and the configuration changes a vector of their own (per_vq_vectors),
// those vectors count the traffic, nothing arrives on the INTx lines any more, and a saved
// state carries the table and vectors over.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { readMachineState } from "../../src/machine/machine-state.js";

const T = 60_000;
const MiB = 1024 * 1024;

/** /proc/interrupts as rows: irq, count, chip, name (the last column). */
interface IrqRow {
  irq: string;
  count: number;
  chip: string;
  name: string;
}

async function interrupts(vm: NodeMachine): Promise<IrqRow[]> {
  const { output } = await vm.shell.run("cat /proc/interrupts", T);
  return output
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && /^\d+:$/.test(f[0]!))
    .map((f) => ({ irq: f[0]!.slice(0, -1), count: Number(f[1]), chip: f.slice(2, -1).join(" "), name: f[f.length - 1]! }));
}

function byName(rows: IrqRow[], name: string): IrqRow {
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`no interrupt named ${name} in ${JSON.stringify(rows.map((r) => r.name))}`);
  return row;
}

describe.each(["shared", "per-queue"] as const)("MSI-X for console, rng, blk and net (%s notifications)", (policy) => {
  // The saved-state check runs once (with the shared policy) to keep the file under a minute.
  const withSnapshot = policy === "shared";
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine({
      transport: { msix: true },
      network: hostNetworkChoice(),
      policy,
      disk: new CheckedDisk(new MemoryDisk((8 * MiB) / 512)),
    });
    await vm.shell.waitUntilReady(T);
  }, 2 * T);
  afterAll(async () => vm?.destroy());

  it("gives each queue and each device's config its own PCI-MSI vector", async () => {
    const rows = await interrupts(vm);
    if (process.env.SHOW_INTERRUPTS) console.log((await vm.shell.run("cat /proc/interrupts", T)).output);
    const msi = rows.filter((r) => /MSI/.test(r.chip) && r.name.startsWith("virtio"));
    const names = msi.map((r) => r.name.replace(/^virtio\d+-/, "")).sort();
    // Linux names a vector by its queue: console input/output, rng input, blk req.0, net
    // input.0/output.0 (its control queue has no callback, so no vector), and each
    // device's config.
    expect(names).toEqual(["config", "config", "config", "config", "input", "input", "input.0", "output", "output.0", "req.0"]);
    expect(new Set(msi.map((r) => r.irq)).size).toBe(msi.length);
    // No virtio function still has an INTx line in use.
    expect(rows.filter((r) => /IO-APIC|XT-PIC/.test(r.chip) && /virtio/.test(r.name))).toEqual([]);
    const { output } = await vm.shell.run("for d in /sys/bus/pci/devices/*; do [ $(cat $d/vendor) = 0x1af4 ] && ls $d/msi_irqs | wc -l; done", T);
    expect(output.trim().split("\n").map(Number)).toEqual([3, 2, 2, 3]);
    // v86's ACPI function (PIIX4 PM, 8086:7113) took slot 7 with the APIC on; ours went around it.
    expect((await vm.shell.run("cat /sys/bus/pci/devices/0000:00:07.0/device", T)).output.trim()).toBe("0x7113");
    expect(vm.machine.deviceViews().map((d) => d.pci?.slot)).not.toContain(7);
  });

  it("counts traffic on the queues' vectors: a download with matching sha256 and a disk round trip", async () => {
    const before = await interrupts(vm);
    const bytes = 4 * MiB;
    const got = await vm.shell.run(`wget -q -O - 'http://10.0.2.2/blob?bytes=${bytes}&seed=5' | sha256sum`, T);
    expect(got.output.trim()).toBe(`${blobSha256(bytes, 5)}  -`);
    const disk = await vm.shell.run(
      "dd if=/dev/urandom of=/tmp/a bs=64k count=16 2>/dev/null; dd if=/tmp/a of=/dev/vda bs=64k oflag=direct 2>/dev/null; " +
        "dd if=/dev/vda of=/tmp/b bs=64k count=16 iflag=direct 2>/dev/null; cmp /tmp/a /tmp/b && echo same",
      T,
    );
    expect(disk.output.trim()).toBe("same");
    const after = await interrupts(vm);
    const rise = (name: string) => after.find((r) => r.name.endsWith(name))!.count - before.find((r) => r.name.endsWith(name))!.count;
    expect(rise("input.0")).toBeGreaterThan(0);
    expect(rise("req.0")).toBeGreaterThan(0);
    expect(byName(after, "virtio0-config").chip).toMatch(/MSI/);
    for (const d of vm.machine.deviceViews()) {
      expect(d.virtio.lastError).toBeUndefined();
      expect(d.pci?.pendingIsr).toBe(0);
    }
  });

  it.runIf(withSnapshot)("carries the table and vectors through a saved state: the restored guest still gets its MSIs", async () => {
    const before = byName(await interrupts(vm), "virtio3-input.0").count;
    const snapshot = readMachineState(await decodeStateFile(await vm.machine.saveState()));
    await vm.destroy();
    vm = await startNodeMachine({ network: hostNetworkChoice(), policy, disk: new CheckedDisk(new MemoryDisk((8 * MiB) / 512)), restore: snapshot });
    vm.shell.resumeReady();
    const got = await vm.shell.run(`wget -q -O - 'http://10.0.2.2/blob?bytes=${MiB}&seed=6' | sha256sum`, T);
    expect(got.output.trim()).toBe(`${blobSha256(MiB, 6)}  -`);
    const after = await interrupts(vm);
    expect(byName(after, "virtio3-input.0").count).toBeGreaterThan(before);
    expect(after.filter((r) => /IO-APIC|XT-PIC/.test(r.chip) && /virtio/.test(r.name))).toEqual([]);
  });
});
