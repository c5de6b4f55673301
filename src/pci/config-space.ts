// 256 bytes of PCI configuration space with the rules real hardware applies to a write:
// each byte has a mask of bits software may change (everything else is read-only, like
// IDs and class codes) and a mask of write-1-to-clear bits (status register errors).
// What a write *means* (BAR relocation, decoding on/off) is the function's business; this
// file only stores bytes.
import type { AccessSize } from "../platform/platform.js";
import { CONFIG_SPACE_SIZE } from "./registers.js";

export class ConfigSpace {
  private readonly bytes = new Uint8Array(CONFIG_SPACE_SIZE);
  private readonly writable = new Uint8Array(CONFIG_SPACE_SIZE);
  private readonly clearable = new Uint8Array(CONFIG_SPACE_SIZE);

  /** Back to all zeros, nothing writable: the state before a function lays out its header. */
  clear(): void {
    this.bytes.fill(0);
    this.writable.fill(0);
    this.clearable.fill(0);
  }

  /** Reads `size` bytes little-endian; bytes past the end of the space read as 0xFF. */
  read(offset: number, size: AccessSize): number {
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + this.byte(offset + i);
    return value;
  }

  /** A guest write: only writable bits change, and 1s written to W1C bits clear them. */
  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at < 0 || at >= CONFIG_SPACE_SIZE) continue;
      const v = Math.floor(value / 256 ** i) & 0xff;
      const w = this.writable[at]!;
      const c = this.clearable[at]!;
      const old = this.bytes[at]!;
      this.bytes[at] = ((old & ~w) | (v & w)) & ~(v & c) & 0xff;
    }
  }

  /** Sets bytes as the device (not the guest) sees fit: masks do not apply. */
  set(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.bytes[offset + i] = Math.floor(value / 256 ** i) & 0xff;
  }

  /** Declares which bits of [offset, offset + size) the guest may write. */
  setWritable(offset: number, size: AccessSize, mask: number): void {
    for (let i = 0; i < size; i++) this.writable[offset + i] = Math.floor(mask / 256 ** i) & 0xff;
  }

  /** Declares which bits of [offset, offset + size) are write-1-to-clear. */
  setWriteOneToClear(offset: number, size: AccessSize, mask: number): void {
    for (let i = 0; i < size; i++) this.clearable[offset + i] = Math.floor(mask / 256 ** i) & 0xff;
  }

  /** A copy of all 256 bytes, for a snapshot. */
  saveBytes(): Uint8Array {
    return this.bytes.slice();
  }

  /**
   * Takes back saved bytes, but only where software can change them (writable and
   * write-1-to-clear bits): IDs, class and capabilities stay what this function defines,
   * whatever a state file says.
   */
  restoreBytes(saved: Uint8Array): void {
    if (saved.length !== CONFIG_SPACE_SIZE) throw new RangeError(`saved config space has ${saved.length} bytes, not ${CONFIG_SPACE_SIZE}`);
    for (let at = 0; at < CONFIG_SPACE_SIZE; at++) {
      const soft = this.writable[at]! | this.clearable[at]!;
      this.bytes[at] = (this.bytes[at]! & ~soft) | (saved[at]! & soft);
    }
  }

  private byte(at: number): number {
    return at >= 0 && at < CONFIG_SPACE_SIZE ? this.bytes[at]! : 0xff;
  }
}
