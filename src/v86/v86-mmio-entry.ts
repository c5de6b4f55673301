// v86's four MMIO handlers for one of our mappings. v86 calls them as plain functions with
// the address as a signed int32; each is a named step that counts itself in MmioDepth
// (v86-platform.ts: interrupts raised inside an MMIO access are delivered after it) and
// hands the access to our handler. They are made once per mapping and allocate nothing per
// access: a doorbell is the hot path of every device.
import type { MmioHandler } from "../platform/platform.js";

/** How many of our MMIO handlers are running (they may nest through the PCI-config window). */
export class MmioDepth {
  value = 0;
}

export class V86MmioEntry {
  constructor(private readonly handler: MmioHandler, private readonly depth: MmioDepth) {}

  readonly read8 = (addr: number): number => {
    this.depth.value++;
    try {
      return this.handler.read(addr >>> 0, 1) & 0xff;
    } finally {
      this.depth.value--;
    }
  };

  readonly write8 = (addr: number, value: number): void => {
    this.depth.value++;
    try {
      this.handler.write(addr >>> 0, 1, value & 0xff);
    } finally {
      this.depth.value--;
    }
  };

  /** 32-bit reads must come back as int32 for v86. */
  readonly read32 = (addr: number): number => {
    this.depth.value++;
    try {
      return this.handler.read(addr >>> 0, 4) | 0;
    } finally {
      this.depth.value--;
    }
  };

  readonly write32 = (addr: number, value: number): void => {
    this.depth.value++;
    try {
      this.handler.write(addr >>> 0, 4, value >>> 0);
    } finally {
      this.depth.value--;
    }
  };
}
