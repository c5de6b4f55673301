// The hostile guest's hands: busybox in a booted guest reaching a virtio-pci function's
// registers and guest RAM directly, around the kernel's drivers. A memory BAR and RAM go
// through `devmem` (/dev/mem; the kernel has no STRICT_DEVMEM), an I/O BAR through `dd`
// on /dev/port (one outb/inb per byte). Several accesses are joined into one shell
// command, because every process the guest starts costs tens of milliseconds.
import type { ShellSession } from "../../src/machine/shell-session.js";
import { parseOdHex, parseVirtioCapabilities, type VirtioCapabilities } from "./hostile-virtio.js";

export type Width = 1 | 2 | 4;
export type Structure = "common" | "notify" | "isr" | "device";

/** One virtio-pci function as the guest sees it in sysfs. */
export interface VirtioFunction {
  /** sysfs name, e.g. "0000:00:03.0". */
  address: string;
  slot: number;
  deviceId: number;
  /** Start of each BAR (a physical address or a port) and whether it is I/O space. */
  bars: { start: number; io: boolean }[];
  caps: VirtioCapabilities;
}

// Linux's resource flags (include/linux/ioport.h).
const IORESOURCE_IO = 0x100;
const PCI_DRIVER = "/sys/bus/pci/drivers/virtio-pci";

export class HostileGuest {
  constructor(private readonly shell: ShellSession, private readonly timeoutMs = 120_000) {}

  /** Runs a command that must succeed and returns its output. */
  async sh(command: string): Promise<string> {
    const result = await this.shell.run(command, this.timeoutMs);
    if (result.status !== 0) throw new Error(`guest command failed with status ${result.status}: ${command}\n${result.output}`);
    return result.output;
  }

  /** Every virtio function on the bus: its BARs from sysfs, its structures from its capabilities. */
  async virtioFunctions(): Promise<VirtioFunction[]> {
    const out = await this.sh(
      "for d in /sys/bus/pci/devices/*; do [ \"$(cat $d/vendor)\" = 0x1af4 ] || continue; " +
        "echo \"@ ${d##*/} $(cat $d/device)\"; head -6 $d/resource; echo =; od -An -tx1 -v $d/config; done",
    );
    return out.split("@ ").slice(1).map((block) => {
      const [head, config] = block.split("\n=\n") as [string, string];
      const [first, ...resources] = head.trim().split("\n");
      const [address, device] = first!.split(" ") as [string, string];
      const bars = resources.map((line) => {
        const [start, , flags] = line.trim().split(/\s+/).map(Number) as [number, number, number];
        return { start, io: (flags & IORESOURCE_IO) !== 0 };
      });
      const slot = Number.parseInt(address.split(":")[2]!, 16);
      return { address, slot, deviceId: Number(device), bars, caps: parseVirtioCapabilities(parseOdHex(config)) };
    });
  }

  /** Where a structure's byte `offset` is: a physical address (memory BAR) or a port (I/O BAR). */
  where(fn: VirtioFunction, structure: Structure, offset = 0): { at: number; io: boolean } {
    const s = fn.caps[structure];
    const bar = fn.bars[s.bar];
    if (!bar) throw new Error(`${fn.address}: no BAR ${s.bar}`);
    return { at: bar.start + s.offset + offset, io: bar.io };
  }

  /** Shell text writing `value` at a register. */
  poke(fn: VirtioFunction, structure: Structure, offset: number, width: Width, value: number): string {
    const { at, io } = this.where(fn, structure, offset);
    return io ? portWrite(at, littleEndian(value, width)) : memWrite(at, width, value);
  }

  /** Shell text printing a register's value on one line. */
  peek(fn: VirtioFunction, structure: Structure, offset: number, width: Width): string {
    const { at, io } = this.where(fn, structure, offset);
    return io ? `dd if=/dev/port bs=1 skip=${at} count=${width} 2>/dev/null | od -An -tu1` : memRead(at, width);
  }

  async read(fn: VirtioFunction, structure: Structure, offset: number, width: Width): Promise<number> {
    return parseValue(await this.sh(this.peek(fn, structure, offset, width)));
  }

  /** Several register writes in order, in one shell command. */
  async write(fn: VirtioFunction, writes: [Structure, number, Width, number][]): Promise<void> {
    await this.sh(writes.map(([s, offset, width, value]) => this.poke(fn, s, offset, width, value)).join(" && "));
  }

  /** Reads guest RAM (a driver's rings) through /dev/mem. */
  async ramRead(addr: number, width: Width): Promise<number> {
    return parseValue(await this.sh(memRead(addr, width)));
  }

  /** Shell text writing guest RAM through /dev/mem. */
  ramPoke(addr: number, width: Width, value: number): string {
    return memWrite(addr, width, value);
  }

  async bound(fn: VirtioFunction): Promise<boolean> {
    return (await this.sh(`[ -e /sys/bus/pci/devices/${fn.address}/driver ] && echo yes || echo no`)).trim() === "yes";
  }

  /** Detaches Linux's virtio-pci driver (and the virtio driver above it) from the function. */
  async unbind(fn: VirtioFunction): Promise<void> {
    await this.sh(`echo ${fn.address} > ${PCI_DRIVER}/unbind`);
  }

  /** Attaches the driver again: it resets the device and brings it up from scratch. */
  async bind(fn: VirtioFunction): Promise<void> {
    await this.sh(`echo ${fn.address} > ${PCI_DRIVER}/bind`);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function memWrite(addr: number, width: Width, value: number): string {
  return `devmem ${hex(addr)} ${width * 8} ${hex(value >>> 0)}`;
}

function memRead(addr: number, width: Width): string {
  return `devmem ${hex(addr)} ${width * 8}`;
}

/** /dev/port turns every byte into its own outb, in order, at consecutive ports. */
function portWrite(port: number, bytes: readonly number[]): string {
  const text = bytes.map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
  return `printf '${text}' | dd of=/dev/port bs=1 seek=${port} count=${bytes.length} conv=notrunc 2>/dev/null`;
}

function littleEndian(value: number, width: Width): number[] {
  return Array.from({ length: width }, (_, i) => (value >>> (8 * i)) & 0xff);
}

/** devmem prints "0x..."; od prints bytes in decimal, lowest address first. */
function parseValue(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number(t);
  const bytes = t.split(/\s+/).map(Number);
  if (bytes.length === 0 || bytes.some((b) => !Number.isInteger(b))) throw new Error(`cannot read a value from ${JSON.stringify(text)}`);
  return bytes.reduceRight((acc, b) => acc * 256 + b, 0);
}
