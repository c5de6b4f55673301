// Guest physical memory as devices see it: every access is bounds-checked, and a write
// tells the CPU's JIT that code in that range may have changed.

export class GuestMemoryError extends Error {
  override name = "GuestMemoryError";
}

export interface GuestMemory {
  /** Bytes of guest RAM, starting at physical address 0. */
  readonly size: number;
  /** Throws GuestMemoryError unless [addr, addr + length) lies inside guest RAM. */
  check(addr: number, length: number): void;
  read8(addr: number): number;
  read16(addr: number): number;
  read32(addr: number): number;
  /** 64-bit values (descriptor addresses) as numbers; values above 2^53 are errors. */
  read64(addr: number): number;
  write16(addr: number, value: number): void;
  write32(addr: number, value: number): void;
  /** Copies guest bytes out (the result does not alias guest memory). */
  readBytes(addr: number, length: number): Uint8Array;
  /** A view of guest bytes, valid until the next guest instruction; do not keep it. */
  view(addr: number, length: number): Uint8Array;
  writeBytes(addr: number, data: Uint8Array): void;
}

/**
 * GuestMemory over a byte array that may be replaced (v86's wasm memory buffer changes
 * when it grows): `bytes()` returns the current array, and a new array object whenever the
 * bytes move (the views are remade only then); `dirty` is told about writes.
 */
export class ArrayGuestMemory implements GuestMemory {
  /** The array `bytes()` returned last, and the views made from it. */
  private source: Uint8Array | undefined;
  private u8: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));

  constructor(
    readonly size: number,
    private readonly bytes: () => Uint8Array,
    private readonly dirty: (start: number, end: number) => void = () => {},
  ) {}

  /**
   * Makes the views follow `bytes()`. Every descriptor and ring access passes here, so it
   * compares the array itself (a source that moves returns a new one) and allocates nothing.
   */
  private sync(): void {
    const current = this.bytes();
    if (current !== this.source) {
      this.source = current;
      this.u8 = current.subarray(0, this.size);
      this.dv = new DataView(current.buffer, current.byteOffset, this.size);
    }
  }

  check(addr: number, length: number): void {
    if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(length) || addr < 0 || length < 0 || addr + length > this.size) {
      throw new GuestMemoryError(`guest address range 0x${addr.toString(16)}+${length} is outside RAM (0x${this.size.toString(16)} bytes)`);
    }
  }

  read8(addr: number): number {
    this.check(addr, 1);
    this.sync();
    return this.u8[addr]!;
  }
  read16(addr: number): number {
    this.check(addr, 2);
    this.sync();
    return this.dv.getUint16(addr, true);
  }
  read32(addr: number): number {
    this.check(addr, 4);
    this.sync();
    return this.dv.getUint32(addr, true);
  }
  read64(addr: number): number {
    this.check(addr, 8);
    this.sync();
    const dv = this.dv;
    const hi = dv.getUint32(addr + 4, true);
    if (hi >= 0x200000) throw new GuestMemoryError(`64-bit value at 0x${addr.toString(16)} is above 2^53`);
    return hi * 0x100000000 + dv.getUint32(addr, true);
  }
  write16(addr: number, value: number): void {
    this.check(addr, 2);
    this.sync();
    this.dv.setUint16(addr, value, true);
    this.dirty(addr, addr + 2);
  }
  write32(addr: number, value: number): void {
    this.check(addr, 4);
    this.sync();
    this.dv.setUint32(addr, value, true);
    this.dirty(addr, addr + 4);
  }
  readBytes(addr: number, length: number): Uint8Array {
    return this.view(addr, length).slice();
  }
  view(addr: number, length: number): Uint8Array {
    this.check(addr, length);
    this.sync();
    return this.u8.subarray(addr, addr + length);
  }
  writeBytes(addr: number, data: Uint8Array): void {
    this.check(addr, data.length);
    this.sync();
    this.u8.set(data, addr);
    this.dirty(addr, addr + data.length);
  }
}
