// A block of little-endian registers that tolerates any access width at any offset.
// v86 splits a guest's 16-bit MMIO access into two byte accesses, so a 16-bit register
// (queue_select, queue_enable, ...) must accept being written one byte at a time: each
// partial write is merged into the register's current value. Register reads used for
// such merging must therefore have no side effects.

export interface Register {
  offset: number;
  width: 1 | 2 | 4;
  read(): number;
  /** Absent: read-only (writes are ignored). */
  write?(value: number): void;
  /**
   * What a partial write merges into, when it differs from what reads return: a register
   * that reads back only valid values (an MSI-X vector reads NO_VECTOR while out of range)
   * must still be writable one byte at a time. Absent: read().
   */
  latch?(): number;
}

export class RegisterFile {
  constructor(private readonly registers: readonly Register[]) {}

  private overlapping(offset: number, size: number): Register[] {
    return this.registers.filter((r) => r.offset < offset + size && offset < r.offset + r.width);
  }

  /** Bytes no register covers read as 0. */
  read(offset: number, size: number): number {
    let result = 0;
    for (const reg of this.overlapping(offset, size)) {
      const value = reg.read();
      for (let i = Math.max(offset, reg.offset); i < Math.min(offset + size, reg.offset + reg.width); i++) {
        const byte = (value >>> (8 * (i - reg.offset))) & 0xff;
        result |= byte << (8 * (i - offset));
      }
    }
    return result >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    for (const reg of this.overlapping(offset, size)) {
      if (!reg.write) continue;
      let merged = reg.offset >= offset && reg.offset + reg.width <= offset + size ? 0 : (reg.latch ?? reg.read)();
      for (let i = Math.max(offset, reg.offset); i < Math.min(offset + size, reg.offset + reg.width); i++) {
        const byte = (value >>> (8 * (i - offset))) & 0xff;
        const shift = 8 * (i - reg.offset);
        merged = (merged & ~(0xff << shift)) | (byte << shift);
      }
      reg.write(merged >>> 0);
    }
  }
}
