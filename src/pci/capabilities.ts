// The capability list: a chain of structures in configuration space after the standard
// header, each starting with its ID and the offset of the next one (0 ends the chain); the
// capabilities pointer (0x34) holds the first, and status bit 4 tells software the list
// exists. Capabilities are laid out one after another, dword-aligned, from 0x40.
//
// A capability's body may have writable bytes, and hooks let it react to the guest: the
// virtio PCI-configuration-access capability, for one, must fill its data window before a
// read and perform the BAR access after a write.
import type { AccessSize } from "../platform/platform.js";
import { PciConfigError } from "./bar.js";
import type { ConfigSpace } from "./config-space.js";
import { CAPABILITIES_POINTER, CONFIG_SPACE_SIZE, HEADER_END, STATUS, STATUS_CAPABILITIES_LIST } from "./registers.js";

export interface CapabilityDefinition {
  /** Capability ID (e.g. 0x09 vendor-specific, 0x05 MSI, 0x11 MSI-X). */
  id: number;
  /** The bytes after the ID and next pointer (for a vendor capability: cap_len first). */
  body: ArrayLike<number>;
  /** Writable bits of each body byte (missing bytes: read-only). */
  writableMask?: ArrayLike<number>;
  /**
   * Before the guest reads bytes of this capability: the hook may update them with
   * `cap.set`. `offset` is relative to the capability's start (its ID byte); an unaligned
   * access that straddles two capabilities runs both hooks (offset < 0 for the second).
   */
  onRead?(cap: Capability, offset: number, size: AccessSize): void;
  /** After the guest's write was stored (masks applied). `offset` as for onRead. */
  onWrite?(cap: Capability, offset: number, size: AccessSize, value: number): void;
}

/** A capability placed in a function's configuration space. */
export class Capability {
  constructor(
    private readonly config: ConfigSpace,
    /** Where its ID byte is in configuration space. */
    readonly offset: number,
    /** ID, next pointer and body. */
    readonly length: number,
    readonly def: CapabilityDefinition,
  ) {}

  /** Reads bytes of the capability (offset relative to its ID byte). */
  read(offset: number, size: AccessSize): number {
    return this.config.read(this.offset + offset, size);
  }

  /** The device changes bytes of the capability (offset relative to its ID byte); masks do not apply. */
  set(offset: number, size: AccessSize, value: number): void {
    if (offset < 2 || offset + size > this.length) {
      throw new RangeError(`capability 0x${this.def.id.toString(16)}: bytes ${offset}+${size} are outside its body`);
    }
    this.config.set(this.offset + offset, size, value);
  }

  /** True when [offset, offset + size) of configuration space touches this capability. */
  overlaps(offset: number, size: number): boolean {
    return offset < this.offset + this.length && offset + size > this.offset;
  }
}

/**
 * Writes the capability list into `config` and returns the placed capabilities, in order.
 * With no capabilities the pointer stays 0 and the status bit clear.
 */
export function layoutCapabilities(config: ConfigSpace, defs: readonly CapabilityDefinition[]): Capability[] {
  const placed: Capability[] = [];
  let at = HEADER_END;
  for (const def of defs) {
    if (!Number.isInteger(def.id) || def.id < 0 || def.id > 0xff) throw new PciConfigError(`capability ID ${def.id} is not a byte`);
    const length = 2 + def.body.length;
    if (at + length > CONFIG_SPACE_SIZE) {
      throw new PciConfigError(`capabilities need more than the ${CONFIG_SPACE_SIZE - HEADER_END} bytes after the header`);
    }
    placed.push(new Capability(config, at, length, def));
    at = (at + length + 3) & ~3;
  }
  placed.forEach((cap, i) => {
    config.set(cap.offset, 1, cap.def.id);
    config.set(cap.offset + 1, 1, placed[i + 1]?.offset ?? 0);
    for (let b = 0; b < cap.def.body.length; b++) {
      config.set(cap.offset + 2 + b, 1, cap.def.body[b]! & 0xff);
      config.setWritable(cap.offset + 2 + b, 1, (cap.def.writableMask?.[b] ?? 0) & 0xff);
    }
  });
  if (placed.length > 0) {
    config.set(CAPABILITIES_POINTER, 1, placed[0]!.offset);
    config.set(STATUS, 2, config.read(STATUS, 2) | STATUS_CAPABILITIES_LIST);
  }
  return placed;
}
