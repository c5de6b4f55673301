// The check both ring layouts make of the areas the driver placed in guest memory: each
// at a representable address, aligned as the spec asks, and wholly inside RAM.
import { GuestMemoryError, type GuestMemory } from "../memory/guest-memory.js";

/** One area of a ring: its name for messages, address, length and alignment in bytes. */
export type RingArea = readonly [name: string, addr: number, length: number, align: number];

/** Why the first unusable area is unusable, or undefined if all are fine. */
export function ringAreasError(memory: GuestMemory, areas: readonly RingArea[]): string | undefined {
  for (const [name, addr, length, align] of areas) {
    if (!Number.isSafeInteger(addr) || addr < 0) return `${name} address 0x${addr.toString(16)} is outside RAM`;
    if (addr % align !== 0) return `${name} address 0x${addr.toString(16)} is not ${align}-byte aligned`;
    try {
      memory.check(addr, length);
    } catch (e) {
      if (e instanceof GuestMemoryError) return `${name} 0x${addr.toString(16)}+${length} is outside RAM`;
      throw e;
    }
  }
  return undefined;
}
