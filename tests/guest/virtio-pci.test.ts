// Linux's virtio_pci driver binds to ringside's functions whatever BAR kind holds the
// virtio structures and however the doorbells are spaced.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { TransportDescription } from "../../src/description/machine-description.js";

type TransportChoice = Omit<TransportDescription, "kind" | "slot">;

const T = 60_000;
// Linux's resource flags: IORESOURCE_IO 0x100, IORESOURCE_MEM 0x200, MEM_64 0x100000.
const VARIANTS: Array<{ transport: TransportChoice; flags: number; size: number }> = [
  { transport: { bar: "mem32" }, flags: 0x200, size: 0x20000 },
  { transport: { bar: "io", notifyOffMultiplier: 4 }, flags: 0x100, size: 0x100 },
  { transport: { bar: "mem64", notifyOffMultiplier: 2 }, flags: 0x100200, size: 0x20000 },
];

describe.each(VARIANTS)("virtio-pci over $transport.bar (notify_off_multiplier $transport.notifyOffMultiplier)", ({ transport, flags, size }) => {
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine({ transport });
    await vm.shell.waitUntilReady(120_000);
  });
  afterAll(async () => vm?.destroy());

  it("shows each function with its IDs, class, irq and BAR, bound to virtio-pci", async () => {
    const { output } = await vm.shell.run(
      "cd /sys/bus/pci/devices; for d in *; do [ $(cat $d/vendor) = 0x1af4 ] && echo $d $(cat $d/device $d/class $d/irq) $(head -1 $d/resource) $(basename $(readlink $d/driver)); done",
      T,
    );
    const rows = output.trim().split("\n").map((l) => l.split(" "));
    expect(rows.map((r) => [r[1], r[2]])).toEqual([
      ["0x1043", "0x078000"],
      ["0x1044", "0xff0000"],
    ]);
    for (const [, , , irq, start, end, resFlags, driver] of rows) {
      expect(Number(irq)).toBeGreaterThan(0);
      expect(Number(end) - Number(start) + 1).toBe(size);
      expect(Number(resFlags) & 0x100300).toBe(flags);
      expect(driver).toBe("virtio-pci");
    }
  });

  it("runs the console and the rng through it", async () => {
    vm.machine.resizeConsole(91, 33);
    expect((await vm.shell.run("echo hello; stty size </dev/hvc0", T)).output).toBe("hello\n33 91\n");
    expect((await vm.shell.run("dd if=/dev/hwrng bs=512 count=8 2>/dev/null | wc -c", T)).output.trim()).toBe("4096");
    for (const d of vm.machine.deviceViews()) {
      expect(d.virtio.active).toBe(true);
      expect(d.virtio.lastError).toBeUndefined();
      expect(d.virtio.featuresNegotiatedNames).toEqual(expect.arrayContaining(["VERSION_1", "RING_EVENT_IDX", "RING_INDIRECT_DESC"]));
    }
  });
});
