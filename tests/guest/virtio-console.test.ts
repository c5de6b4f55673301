// ringside's virtio-console as the guest's main terminal: the shell on hvc0, its size
// following the host terminal, and bulk output and paste with nothing lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";

const T = 120_000;
const sha256 = (text: string) => createHash("sha256").update(text, "latin1").digest("hex");

/** Deterministic base64-looking lines, 76 characters each, like a pasted file. */
function pasteText(bytes: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let x = 12345;
  let out = "";
  while (out.length < bytes) {
    let line = "";
    for (let i = 0; i < 76; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      line += alphabet[x % 64];
    }
    out += `${line}\n`;
  }
  return out.slice(0, bytes - 1) + "\n";
}

describe("virtio-console (hvc0)", () => {
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine({ memoryMiB: 256 });
    await vm.shell.waitUntilReady(T);
  });
  afterAll(async () => vm?.destroy());

  it("is where the shell runs; the serial port is not", async () => {
    expect((await vm.shell.run("ls -l /proc/$$/fd/1", T)).output).toMatch(/-> \/dev\/hvc0\n$/);
    expect((await vm.shell.run("cat /sys/bus/virtio/devices/*/device", T)).output).toMatch(/^0x0003$/m);
  });

  it("tells the guest the terminal size, and follows a resize (stty size)", async () => {
    // Before any resize: the device's initial 80x25, announced once the driver is up.
    expect((await vm.shell.run("stty size </dev/hvc0", T)).output).toBe("25 80\n");
    vm.machine.resizeConsole(123, 45);
    expect((await vm.shell.run("stty size </dev/hvc0", T)).output).toBe("45 123\n");
    vm.machine.resizeConsole(80, 24);
    expect((await vm.shell.run("stty size </dev/hvc0", T)).output).toBe("24 80\n");
  });

  it("delivers 10 MiB of output with nothing lost (sha256 compared)", async () => {
    await vm.shell.run("dd if=/dev/urandom bs=1024 count=7680 2>/dev/null | base64 > /tmp/big", T);
    const guestSum = (await vm.shell.run("sha256sum /tmp/big", T)).output.split(" ")[0];
    const size = Number((await vm.shell.run("wc -c < /tmp/big", T)).output);
    expect(size).toBeGreaterThan(10 * 1024 * 1024);
    const before = vm.machine.deviceViews().find((d) => d.virtio.name === "virtio-console")!;
    const { output, status } = await vm.shell.run("cat /tmp/big", T);
    const after = vm.machine.deviceViews().find((d) => d.virtio.name === "virtio-console")!;
    expect(status).toBe(0);
    expect(output.length).toBe(size);
    expect(sha256(output)).toBe(guestSum);

    // Counts, not times: the transmit queue's kicks carry whole hvc buffers, not bytes.
    const tx = (d: typeof before) => d.virtio.queues[1]!.ring!.counters;
    const mib = size / 1048576;
    const kicks = (tx(after).kicks - tx(before).kicks) / mib;
    expect(tx(after).bytesRead - tx(before).bytesRead).toBeGreaterThanOrEqual(size);
    expect(kicks).toBeGreaterThan(0);
    expect(kicks).toBeLessThan(1024); // at least 1 KiB per kick on average
    // hvc spins until each buffer comes back and takes it before the slice ends, so the
    // device's one decision per slice finds used_event already past it: (almost) no
    // transmit interrupts, where one per buffer (512 per MiB) went before.
    const irqs = (tx(after).interrupts - tx(before).interrupts) / mib;
    expect(tx(after).interruptsSuppressed - tx(before).interruptsSuppressed).toBeGreaterThan(0);
    expect(irqs).toBeLessThan(8);
  });

  it("takes a 1 MiB paste with nothing lost, even while the guest is slower than the typist", async () => {
    const text = pasteText(1024 * 1024);
    const { output, status } = await vm.shell.runWithInput(`head -c ${text.length} > /tmp/pasted`, text, T);
    expect(status).toBe(0);
    expect(output).toBe("");
    expect((await vm.shell.run("sha256sum /tmp/pasted", T)).output.split(" ")[0]).toBe(sha256(text));
    const console = vm.machine.deviceViews().find((d) => d.type === "virtio-console");
    expect(console?.type === "virtio-console" && console.stats.pendingInputBytes).toBe(0);
  });
});

describe("virtio-rng", () => {
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine();
    await vm.shell.waitUntilReady(T);
  });
  afterAll(async () => vm?.destroy());

  it("is the kernel's hardware RNG and /dev/hwrng delivers", async () => {
    expect((await vm.shell.run("cat /sys/class/misc/hw_random/rng_current", T)).output).toMatch(/^virtio_rng\.\d+\n$/);
    expect((await vm.shell.run("dd if=/dev/hwrng bs=4096 count=64 2>/dev/null | wc -c", T)).output.trim()).toBe("262144");
    const a = (await vm.shell.run("dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1", T)).output;
    const b = (await vm.shell.run("dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1", T)).output;
    expect(a).not.toBe(b);
    // Random bytes do not compress.
    const packed = Number((await vm.shell.run("dd if=/dev/hwrng bs=4096 count=64 2>/dev/null | gzip -c | wc -c", T)).output);
    expect(packed).toBeGreaterThan(262144);
    const rng = vm.machine.deviceViews().find((d) => d.virtio.name === "virtio-rng")!;
    expect(rng.virtio.queues[0]!.ring!.counters.bytesWritten).toBeGreaterThanOrEqual(2 * 262144);
  });
});
