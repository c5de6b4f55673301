// Where virtio-mmio windows answer in physical address space. The platform maps MMIO in
// 128 KiB blocks (v86's granularity) and a window is 512 bytes, so several devices share a
// block: each block is mapped once, to one dispatcher that finds the window by address.
// Bytes of a block that no window covers read as 0 and ignore writes.
import { MMIO_BLOCK_SIZE, type AccessSize, type Platform } from "../platform/platform.js";
import { MMIO_WINDOW_SIZE } from "./layout.js";

/** What answers inside one window (offsets from its base). */
export interface MmioWindowHandler {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

export class MmioWindows {
  /** Windows by base address (a multiple of MMIO_WINDOW_SIZE). */
  private readonly windows = new Map<number, MmioWindowHandler>();
  /** Blocks mapped so far (the machine keeps its windows for its whole life: none is unmapped). */
  private readonly blocks = new Set<number>();

  constructor(private readonly platform: Platform) {}

  /** Puts a window at `base`; throws if `base` is not window-aligned below 4 GiB or the place is taken. */
  add(base: number, handler: MmioWindowHandler): void {
    if (!Number.isInteger(base) || base < 0 || base % MMIO_WINDOW_SIZE !== 0 || base + MMIO_WINDOW_SIZE > 2 ** 32) {
      throw new RangeError(`virtio-mmio window at 0x${base.toString(16)} is not a multiple of 0x${MMIO_WINDOW_SIZE.toString(16)} below 4 GiB`);
    }
    if (this.windows.has(base)) throw new Error(`a virtio-mmio window is already at 0x${base.toString(16)}`);
    this.windows.set(base, handler);
    const block = base - (base % MMIO_BLOCK_SIZE);
    if (this.blocks.has(block)) return;
    this.blocks.add(block);
    this.platform.mapMmio(block, MMIO_BLOCK_SIZE, {
      read: (addr, size) => this.read(addr, size),
      write: (addr, size, value) => this.write(addr, size, value),
    });
  }

  private read(addr: number, size: AccessSize): number {
    const offset = addr % MMIO_WINDOW_SIZE;
    const handler = this.windows.get(addr - offset);
    // An access running past the window's end reads as if the window ended there.
    if (!handler || offset + size > MMIO_WINDOW_SIZE) return 0;
    return handler.read(offset, size);
  }

  private write(addr: number, size: AccessSize, value: number): void {
    const offset = addr % MMIO_WINDOW_SIZE;
    const handler = this.windows.get(addr - offset);
    if (handler && offset + size <= MMIO_WINDOW_SIZE) handler.write(offset, size, value);
  }
}
