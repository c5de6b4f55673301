// Taking guest RAM back from a saved state without touching the RAM the state leaves zero.
//
// v86 saves only the pages that are not all zeros (a bitmap and the pages it marks). Its
// restore first zeroes the whole of guest RAM and then copies the saved pages in. Right
// after the machine was built that RAM is mostly fresh WebAssembly memory, which the host
// has not backed with real pages yet: zeroing it makes the host back all of it (256 MiB
// for the page's machine) and was the largest part of a restore. Here a page that is not
// in the state is zeroed only when it is not zero already (v86 wrote the firmware and the
// boot images into a few of them when it was built); reading a fresh page costs far less
// than writing it. Only pages in the ranges v86 wrote at build time are even read: reading
// the other 240 MiB, fresh and zero, cost 35 ms of each restore (a page fault per page).
// The result is the same memory, byte for byte.
import type { V86Core } from "./internals.js";

const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;

/** v86's saved-page bitmap (its BitMap class). */
interface V86PageBitmap {
  get(index: number): number;
}

/** The members of v86's cpu (0.5.x) the restore of guest RAM uses. */
interface V86MemoryCpu {
  readonly mem8: Uint8Array;
  /** A Proxy acting as a one-element Uint32Array (like flags: see internals.ts). */
  readonly memory_size: { readonly 0: number };
  is_memory_zeroed(address: number, length: number): boolean;
  zero_memory(address: number, length: number): void;
  unpack_memory(bitmap: V86PageBitmap, packed: Uint8Array): void;
}

function memoryCpuOf(core: V86Core): V86MemoryCpu {
  const c = core.cpu as unknown as Partial<V86MemoryCpu>;
  const ok =
    typeof c.is_memory_zeroed === "function" && typeof c.zero_memory === "function" &&
    typeof c.unpack_memory === "function" && typeof c.memory_size?.[0] === "number" && c.mem8 !== undefined;
  if (!ok) throw new Error("v86's cpu does not restore memory the way ringside expects (v86 version?)");
  return c as V86MemoryCpu;
}

/** Guest RAM from `start` up to (not including) `end`, in bytes. */
export interface RamRange {
  start: number;
  end: number;
}

/**
 * Runs `restore` (v86's restore_state) with the sparse unpacking of guest RAM in place.
 * `written`: every range of guest RAM v86 may have written since it was built (anything
 * else is still zero: v86-emulator.ts says where v86 writes).
 */
export async function withSparseMemoryRestore<T>(core: V86Core, written: readonly RamRange[], restore: () => Promise<T>): Promise<T> {
  const cpu = memoryCpuOf(core);
  const own = Object.prototype.hasOwnProperty.call(cpu, "unpack_memory");
  const original = cpu.unpack_memory;
  cpu.unpack_memory = (bitmap, packed) => {
    // mem8 is a Proxy that builds a new view on every access: take one view for the loop.
    const size = cpu.memory_size[0];
    const mem = new Uint8Array(cpu.mem8.buffer, cpu.mem8.byteOffset, size);
    const pages = size >>> PAGE_BITS;
    let saved = 0;
    for (let page = 0; page < pages; page++) {
      const at = page << PAGE_BITS;
      if (bitmap.get(page)) {
        // A run of saved pages goes in with one copy (they lie one after another in `packed` too).
        let run = 1;
        while (page + run < pages && bitmap.get(page + run)) run++;
        const from = saved * PAGE_SIZE;
        const bytes = run * PAGE_SIZE;
        if (from + bytes > packed.length) throw new Error("v86's saved memory does not match its page bitmap");
        mem.set(packed.subarray(from, from + bytes), at);
        saved += run;
        page += run - 1;
      } else if (written.some((r) => at < r.end && at + PAGE_SIZE > r.start) && !cpu.is_memory_zeroed(at, PAGE_SIZE)) {
        cpu.zero_memory(at, PAGE_SIZE);
      }
    }
    if (saved * PAGE_SIZE !== packed.length) throw new Error("v86's saved memory does not match its page bitmap");
  };
  try {
    return await restore();
  } finally {
    if (own) cpu.unpack_memory = original;
    else delete (cpu as Partial<V86MemoryCpu>).unpack_memory;
  }
}
