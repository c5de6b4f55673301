// Boots the real kernel with a test PCI function on ringside's bus and looks at it from
// inside the guest: what firmware and Linux made of it, whether its BARs reach the
// handlers, whether its INTx reaches the PIC, and that hot-adding a function works.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ShellSession } from "../../src/machine/shell-session.js";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { PciFunction } from "../../src/pci/pci-function.js";
import type { PciBus } from "../../src/pci/pci-bus.js";
import type { BarHandler } from "../../src/pci/bar.js";
import type { Platform } from "../../src/platform/platform.js";

const T = 60_000;

/** A BAR whose byte at offset o reads (o + seed) & 0xff, and which records writes. */
function patternBar(seed: number, writes: string[]): BarHandler {
  const byte = (o: number) => (o + seed) & 0xff;
  return {
    read: (offset, size) => {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + byte(offset + i);
      return v;
    },
    write: (offset, size, value) => writes.push(`${offset}/${size}=${value.toString(16)}`),
  };
}

function testFunction(deviceId: number, seed: number, writes: string[]): PciFunction {
  return new PciFunction({
    name: `test ${deviceId.toString(16)}`,
    vendorId: 0x1234,
    deviceId,
    classCode: 0xff0000,
    interruptPin: 1,
    bars: [
      { kind: "io", size: 32, handler: patternBar(seed, writes) },
      { kind: "mem32", size: 128 * 1024, handler: patternBar(seed + 0x40, writes) },
    ],
  });
}

/** Lines of a sysfs `resource` file that describe a resource: [start, end]. */
function resources(text: string): [number, number][] {
  return text
    .trim()
    .split("\n")
    .map((line) => line.split(" ").map(Number) as [number, number, number])
    .filter(([start, end]) => start !== 0 || end !== 0)
    .map(([start, end]) => [start, end]);
}

const readPort = (port: number) => `dd if=/dev/port bs=1 skip=${port} count=1 2>/dev/null | od -An -tx1`;

describe("ringside's PCI bus in the guest", () => {
  let vm: NodeMachine;
  let shell: ShellSession;
  let bus!: PciBus;
  let platform!: Platform;
  const writes: string[] = [];
  const fn = testFunction(0x5678, 0x10, writes);
  let slot = -1;
  let dir = "";
  const run = async (command: string) => {
    const result = await shell.run(command, T);
    expect(result.status, `${command}\n${result.output}`).toBe(0);
    return result.output;
  };

  beforeAll(async () => {
    vm = await startNodeMachine({
      memoryMiB: 192,
      attach: (ctx) => {
        bus = ctx.bus;
        platform = ctx.platform;
        slot = bus.addFunction(fn);
      },
    });
    shell = vm.shell;
    dir = `/sys/bus/pci/devices/0000:00:${slot.toString(16).padStart(2, "0")}.0`;
    await shell.waitUntilReady(120_000);
  });
  afterAll(async () => vm?.destroy());

  it("lists the function with its IDs and class", async () => {
    // Slots from 2 on; ringside's own virtio functions were attached first.
    expect(slot).toBeGreaterThanOrEqual(2);
    expect(await run(`cat ${dir}/vendor ${dir}/device ${dir}/class`)).toBe("0x1234\n0x5678\n0xff0000\n");
  });

  it("keeps v86's host bridge, ISA bridge and VGA", async () => {
    const out = await run("cd /sys/bus/pci/devices; for d in *; do echo $d $(cat $d/vendor $d/device); done");
    expect(out).toContain("0000:00:00.0 0x8086 0x1237");
    expect(out).toContain("0000:00:01.0 0x8086 0x7000");
    expect(out).toContain("0000:00:12.0 0x1234 0x1111");
  });

  it("has an IRQ routed through the PIIX3 that no v86 device uses", async () => {
    const irq = Number(await run(`cat ${dir}/irq`));
    expect(irq).toBeGreaterThan(0);
    // The route SeaBIOS programmed for the slot's PIRQ link (INTA of slot s -> PIRQ (s-1)&3).
    expect(irq).toBe(platform.pirqRoute((0 + slot - 1) & 3));
    // v86's functions (everything but ringside's virtio devices, vendor 0x1af4, and this
    // one) must not be on the line: v86 cannot share a line with us.
    const v86Irqs = await run(
      `cd /sys/bus/pci/devices; for d in *; do [ $d = ${dir.split("/").pop()} ] || [ $(cat $d/vendor) = 0x1af4 ] || cat $d/irq; done`,
    );
    expect(v86Irqs.trim().split("\n").map(Number)).not.toContain(irq);
    // Whoever else has a handler on that IRQ is one of ringside's virtio devices.
    const line = new RegExp(`^\\s*${irq}:.*$`, "m").exec(await run("cat /proc/interrupts"))?.[0];
    if (line) expect(line).toMatch(/XT-PIC\s+(virtio\d+,?\s*)+$/);
  });

  it("has the BAR ranges firmware assigned, and they are where the bus decodes", async () => {
    const [io, mem] = resources(await run(`cat ${dir}/resource`));
    expect(io![1] - io![0] + 1).toBe(32);
    expect(mem![1] - mem![0] + 1).toBe(128 * 1024);
    expect(fn.bars.map((bar) => bar.base)).toEqual([io![0], mem![0]]);
    // Clear of v86's VGA framebuffer, which v86 keeps at 0xE0000000 whatever firmware writes.
    expect(mem![1] < 0xe0000000 || mem![0] >= 0xe0200000).toBe(true);
    const iomem = await run("cat /proc/iomem");
    expect(iomem).toContain(`${mem![0].toString(16)}-${mem![1].toString(16)} : ${dir.split("/").pop()}`);
  });

  it("reaches the I/O BAR's handler through /dev/port, reads and writes", async () => {
    const base = fn.bars[0]!.base!;
    expect((await run(readPort(base + 5))).trim()).toBe("15");
    expect((await run(readPort(base + 0x1f))).trim()).toBe("2f");
    await run(`printf '\\x42' | dd of=/dev/port bs=1 seek=${base + 3} count=1 2>/dev/null`);
    expect(writes).toContain("3/1=42");
  });

  it("reaches the memory BAR's handler through /dev/mem (busybox devmem maps it)", async () => {
    const base = fn.bars[1]!.base!;
    const at = (offset: number) => `0x${(base + offset).toString(16)}`;
    expect((await run(`devmem ${at(0x100)} 32`)).trim()).toBe("0x53525150");
    expect((await run(`devmem ${at(0x1fffc)} 8`)).trim()).toBe("0x4C");
    // v86 has no 16-bit MMIO: a word read is two byte reads, a word write two byte writes.
    expect((await run(`devmem ${at(0x102)} 16`)).trim()).toBe("0x5352");
    writes.length = 0;
    await run(`devmem ${at(0x10)} 32 0xcafe1234; devmem ${at(0x20)} 16 0xbeef`);
    expect(writes).toEqual(["16/4=cafe1234", "32/1=ef", "33/1=be"]);
  });

  it("stops decoding when the guest clears the command register's enables, and resumes", async () => {
    const base = fn.bars[0]!.base!;
    const config = `${dir}/config`;
    const setCommand = (value: number) =>
      run(`printf '\\x${value.toString(16).padStart(2, "0")}' | dd of=${config} bs=1 seek=4 count=1 conv=notrunc 2>/dev/null`);
    const command = Number.parseInt((await run(`dd if=${config} bs=1 skip=4 count=1 2>/dev/null | od -An -tx1`)).trim(), 16);
    expect(command & 3).toBe(3);
    await setCommand(command & ~3);
    expect(fn.bars.map((bar) => bar.base)).toEqual([undefined, undefined]);
    expect((await run(readPort(base + 5))).trim()).toBe("ff");
    await setCommand(command);
    expect((await run(readPort(base + 5))).trim()).toBe("15");
  });

  it("raises its INTx as a level on the routed IRQ (seen in the PIC's request register)", async () => {
    const irq = Number(await run(`cat ${dir}/irq`));
    expect(irq).toBeGreaterThanOrEqual(8); // on the slave PIC, where nothing else is pending
    const irrBit = 1 << (irq - 8);
    // OCW3 0x0a selects the IRR for reads of the slave PIC's command port.
    const readIrr = `printf '\\x0a' | dd of=/dev/port bs=1 seek=${0xa0} count=1 2>/dev/null; ${readPort(0xa0)}`;
    const irr = async () => Number.parseInt((await run(readIrr)).trim(), 16);
    fn.setIrq(true);
    // Held high by this function: every read sees the request.
    for (let i = 0; i < 3; i++) expect((await irr()) & irrBit).toBe(irrBit);
    fn.setIrq(false);
    // Low again. ringside's virtio devices may share the line (OR-ed) and assert it for a
    // moment while the guest services them, so allow a few reads for it to be seen low.
    let low = irrBit;
    for (let i = 0; i < 20 && low; i++) low = (await irr()) & irrBit;
    expect(low).toBe(0);
  });

  it("finds a function added after boot with `echo 1 > /sys/bus/pci/rescan`", async () => {
    const lateWrites: string[] = [];
    const late = testFunction(0x5679, 0x20, lateWrites);
    const lateSlot = bus.addFunction(late);
    const lateDir = `/sys/bus/pci/devices/0000:00:${lateSlot.toString(16).padStart(2, "0")}.0`;
    await run("echo 1 > /sys/bus/pci/rescan");
    expect(await run(`cat ${lateDir}/vendor ${lateDir}/device`)).toBe("0x1234\n0x5679\n");
    const irq = Number(await run(`cat ${lateDir}/irq`));
    expect(irq).toBeGreaterThan(0);
    const [io, mem] = resources(await run(`cat ${lateDir}/resource`));
    expect(io![1] - io![0] + 1).toBe(32);
    expect(mem![1] - mem![0] + 1).toBe(128 * 1024);
    // No driver claims it, so decoding is off until something enables the device.
    await run(`echo 1 > ${lateDir}/enable`);
    expect(late.bars.map((bar) => bar.base)).toEqual([io![0], mem![0]]);
    expect((await run(readPort(io![0] + 1))).trim()).toBe("21");
  });
});
