// A Platform made of plain objects, for unit tests of the PCI bus: port and MMIO maps that
// dispatch like v86's (the newest mapping over a place answers), IRQ lines that record
// their levels, PIIX3 PIRQ routes to set by hand, and a small model of v86's own PCI bus
// behind ports 0xCF8-0xCFF (a latch whose answer is computed when the address is written,
// as v86 does), so tests can see what the bus forwards.
import type { AccessSize, IoHandler, MmioHandler, Platform } from "../../src/platform/platform.js";
import { MMIO_BLOCK_SIZE } from "../../src/platform/platform.js";

interface Mapping<H> {
  base: number;
  size: number;
  handler: H;
}

/** v86's bus as seen through its port handlers, reduced to what the tests look at. */
export class FakeV86PciBus implements IoHandler {
  readonly latch = new Uint8Array(4);
  private response = 0xffffffff;
  /** Config spaces by devfn (bus 0 only, like v86). */
  readonly spaces = new Map<number, Uint8Array>();
  /** Every access, as "r|w port size value" (value in hex), for assertions. */
  readonly log: string[] = [];
  resets = 0;

  constructor() {
    this.addDevice(0x00, 0x8086, 0x1237, 0x060000); // host bridge
    const isa = this.addDevice(0x08, 0x8086, 0x7000, 0x060100); // PIIX3 ISA bridge
    isa.set([0x80, 0x80, 0x80, 0x80], 0x60); // PIRQ routes: not routed until firmware runs
  }

  addDevice(devfn: number, vendor: number, device: number, classCode: number, pin = 0): Uint8Array {
    const space = new Uint8Array(256);
    const dv = new DataView(space.buffer);
    dv.setUint16(0, vendor, true);
    dv.setUint16(2, device, true);
    dv.setUint32(8, classCode << 8, true);
    space[0x3d] = pin;
    this.spaces.set(devfn, space);
    return space;
  }

  read(port: number, size: AccessSize): number {
    let value: number;
    if (port >= 0xcfc) {
      const shift = (port - 0xcfc) * 8;
      value = Math.floor(this.response / 2 ** shift) % 2 ** (8 * size);
    } else {
      value = 0xffffffff % 2 ** (8 * size);
    }
    this.log.push(`r ${port.toString(16)} ${size} ${value.toString(16)}`);
    return value;
  }

  write(port: number, size: AccessSize, value: number): void {
    this.log.push(`w ${port.toString(16)} ${size} ${value.toString(16)}`);
    if (port < 0xcfc) {
      for (let i = 0; i < size; i++) this.writeLatchByte(port - 0xcf8 + i, Math.floor(value / 256 ** i) & 0xff);
      return;
    }
    const space = this.spaces.get(this.busDevfn());
    if (!space) return;
    const reg = (this.latch[0]! & 0xfc) + port - 0xcfc;
    for (let i = 0; i < size; i++) space[reg + i] = Math.floor(value / 256 ** i) & 0xff;
  }

  /** The latched address as a number. */
  get address(): number {
    return new DataView(this.latch.buffer).getUint32(0, true);
  }

  private busDevfn(): number {
    return (this.latch[2]! << 8) | this.latch[1]!;
  }

  private writeLatchByte(index: number, byte: number): void {
    if (index === 1 && (this.latch[1]! & 6) === 2 && (byte & 6) === 6) {
      this.resets++; // v86: the PIIX reset control register shares the latch's second byte
      return;
    }
    this.latch[index] = index === 0 ? byte & 0xfc : byte;
    if (index === 3) {
      const space = this.spaces.get(this.busDevfn());
      this.response = space ? new DataView(space.buffer).getUint32(this.latch[0]! & 0xfc, true) : 0xffffffff;
    }
  }
}

export class FakePlatform implements Platform {
  readonly io: Mapping<IoHandler>[] = [];
  readonly mmio: Mapping<MmioHandler>[] = [];
  readonly v86 = new FakeV86PciBus();
  readonly v86ConfigPorts: IoHandler = this.v86;
  /** Current level of each IRQ line we were told about, and every change in order. */
  readonly irqLevels = new Map<number, boolean>();
  readonly irqLog: string[] = [];
  /** Whether message-signalled interrupts reach an APIC (a test may switch it off). */
  hasApic = true;
  /** Every MSI the functions sent, in order. */
  readonly msiLog: { address: number; data: number }[] = [];

  mapIo(base: number, count: number, handler: IoHandler): () => void {
    return this.add(this.io, { base, size: count, handler });
  }

  mapMmio(base: number, size: number, handler: MmioHandler): () => void {
    if (base % MMIO_BLOCK_SIZE !== 0 || size % MMIO_BLOCK_SIZE !== 0) throw new RangeError("MMIO not in whole blocks");
    return this.add(this.mmio, { base, size, handler });
  }

  setIrqLine(line: number, level: boolean): void {
    this.irqLevels.set(line, level);
    this.irqLog.push(`${line}${level ? "+" : "-"}`);
  }

  signalMsi(address: number, data: number): void {
    this.msiLog.push({ address, data });
  }

  pirqRoute(index: number): number {
    return this.v86.spaces.get(0x08)![0x60 + index]!;
  }

  /** Sets the PIRQ route registers as SeaBIOS does (A, B -> 10; C, D -> 11 by default). */
  setPirqRoutes(routes: number[] = [10, 10, 11, 11]): void {
    this.v86.spaces.get(0x08)!.set(routes, 0x60);
  }

  v86Slots(): number[] {
    return [...new Set([...this.v86.spaces.keys()].map((devfn) => devfn >> 3))];
  }

  /** A port access as the CPU makes it: the mapping over the first port answers (0xff.. if none). */
  inPort(port: number, size: AccessSize = 1): number {
    const m = this.find(this.io, port);
    return m ? m.handler.read(port, size) : 0xffffffff % 2 ** (8 * size);
  }

  outPort(port: number, size: AccessSize, value: number): void {
    this.find(this.io, port)?.handler.write(port, size, value);
  }

  readMmio(addr: number, size: 1 | 4): number | undefined {
    return this.find(this.mmio, addr)?.handler.read(addr, size);
  }

  writeMmio(addr: number, size: 1 | 4, value: number): void {
    this.find(this.mmio, addr)?.handler.write(addr, size, value);
  }

  /** Mapped ranges as [base, size] pairs, oldest first. */
  ioRanges(): [number, number][] {
    return this.io.map((m) => [m.base, m.size]);
  }

  mmioRanges(): [number, number][] {
    return this.mmio.map((m) => [m.base, m.size]);
  }

  /** Configuration cycles the way a guest makes them (mechanism #1, 32-bit address). */
  configRead(devfn: number, reg: number, size: AccessSize): number {
    this.outPort(0xcf8, 4, (0x8000_0000 | (devfn << 8) | (reg & 0xfc)) >>> 0);
    return this.inPort(0xcfc + (reg & 3), size);
  }

  configWrite(devfn: number, reg: number, size: AccessSize, value: number): void {
    this.outPort(0xcf8, 4, (0x8000_0000 | (devfn << 8) | (reg & 0xfc)) >>> 0);
    this.outPort(0xcfc + (reg & 3), size, value);
  }

  private add<H>(list: Mapping<H>[], mapping: Mapping<H>): () => void {
    list.push(mapping);
    return () => {
      const i = list.indexOf(mapping);
      if (i >= 0) list.splice(i, 1);
    };
  }

  private find<H>(list: Mapping<H>[], at: number): Mapping<H> | undefined {
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (at >= m.base && at < m.base + m.size) return m;
    }
    return undefined;
  }
}
