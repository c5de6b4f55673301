// Guest RAM as devices see it (GuestMemory), over v86's wasm memory.
import { ArrayGuestMemory, type GuestMemory } from "../memory/guest-memory.js";
import { platformCpuOf, type V86Cpu } from "./internals.js";

/**
 * Bounds-checked access to `cpu`'s guest RAM. v86's `mem8` builds a new array on every
 * access, so it is asked once where RAM lives in the wasm memory. The view is made again only
 * when the wasm memory grows: that detaches the old buffer, and a detached view's length is 0.
 * (Asking the memory for its buffer on every access instead cost a 9P request about 1 µs.)
 * Writes tell v86's JIT that code in that range may have changed. Call after
 * "emulator-loaded" (RAM exists from then on).
 */
export function guestMemoryOf(v86Cpu: V86Cpu): GuestMemory {
  const cpu = platformCpuOf(v86Cpu);
  const ram = cpu.mem8;
  const offset = ram.byteOffset;
  const length = ram.length;
  if (length === 0) throw new Error("v86 has not allocated guest RAM yet: wait for emulator-loaded");
  let bytes = new Uint8Array(cpu.wasm_memory.buffer, offset, length);
  const current = (): Uint8Array => {
    if (bytes.length === 0) bytes = new Uint8Array(cpu.wasm_memory.buffer, offset, length);
    return bytes;
  };
  return new ArrayGuestMemory(length, current, (start, end) => cpu.jit_dirty_cache(start, end));
}
