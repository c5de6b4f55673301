// Guest RAM as devices see it (GuestMemory), over v86's wasm memory.
import { ArrayGuestMemory, type GuestMemory } from "../memory/guest-memory.js";
import { platformCpuOf, type V86Cpu } from "./internals.js";

/**
 * Bounds-checked access to `cpu`'s guest RAM. v86's `mem8` builds a new array on every
 * access, so it is asked once where RAM lives in the wasm memory; the view is rebuilt only
 * when the wasm memory's buffer changes (it grows). Writes tell v86's JIT that code there
 * may have changed. Call after "emulator-loaded" (RAM exists from then on).
 */
export function guestMemoryOf(v86Cpu: V86Cpu): GuestMemory {
  const cpu = platformCpuOf(v86Cpu);
  const ram = cpu.mem8;
  const offset = ram.byteOffset;
  const length = ram.length;
  if (length === 0) throw new Error("v86 has not allocated guest RAM yet: wait for emulator-loaded");
  let buffer: ArrayBufferLike | undefined;
  let bytes = new Uint8Array(0);
  const current = (): Uint8Array => {
    const now = cpu.wasm_memory.buffer;
    if (now !== buffer) {
      buffer = now;
      bytes = new Uint8Array(now, offset, length);
    }
    return bytes;
  };
  return new ArrayGuestMemory(length, current, (start, end) => cpu.jit_dirty_cache(start, end));
}
