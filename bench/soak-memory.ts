// The soak's memory probe: the Node process that runs the machine (in the browser it would
// be the worker; in the bench the machine runs on Node's main thread), sampled after a
// forced garbage collection so that only what is still reachable, or still held by the
// allocator, is counted.
//
// rss also grows for a reason that is no leak: the guest's RAM is one WebAssembly memory,
// reserved at boot but made resident page by page as the guest first touches it (its page
// cache fills up during the soak). Its resident size is read from /proc/self/smaps so that
// this part, bounded by the RAM the guest was given, can be told apart from the rest.
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { setTimeout as sleep } from "node:timers/promises";

export interface MemorySample {
  label: string;
  /** Live JS objects (V8 heap). */
  heap_used: number;
  /** The V8 heap as reserved: it grows with the allocation rate (young generation) up to V8's limits. */
  heap_total: number;
  /** Memory V8 knows of outside its heap: ArrayBuffers (the disk's chunks) and wasm memory. */
  external: number;
  /** The ArrayBuffer part of `external`. */
  array_buffers: number;
  /** What the OS gives the process: also code, the allocator's free lists, thread stacks. */
  rss: number;
  /** The resident part of the process's WebAssembly memories (the guest's RAM); 0 if /proc is unavailable. */
  wasm_resident: number;
  /** Bytes the disk backend holds when the sample is taken. */
  disk_bytes: number;
}

export interface MemoryGrowth {
  before: MemorySample;
  after: MemorySample;
  /** after - before, per field. */
  growth: Fields;
  /** Growth of the disk backend's data between the samples. */
  disk_growth: number;
  /**
   * What the claim "no growth beyond the disk data" is about: growth - disk_growth for the
   * fields that can hold the disk's ArrayBuffers (external, array_buffers, rss), and for
   * rss also minus the growth of wasm_resident (guest RAM pages touched for the first time).
   */
  growth_beyond_disk: Fields;
}

type Fields = { heap_used: number; heap_total: number; external: number; array_buffers: number; rss: number; wasm_resident: number };

let collect: (() => void) | undefined;

/** global.gc, exposed at run time when node was not started with --expose-gc. */
function gcFunction(): () => void {
  if (collect) return collect;
  const existing = (globalThis as { gc?: unknown }).gc;
  // The flag makes every new context get a `gc` global; this context was made before it.
  if (typeof existing !== "function") setFlagsFromString("--expose-gc");
  const candidate: unknown = typeof existing === "function" ? existing : runInNewContext("gc");
  if (typeof candidate !== "function") throw new Error("soak: cannot expose the garbage collector");
  collect = () => {
    candidate();
  };
  return collect;
}

/**
 * Collects garbage until the ArrayBuffer total stops changing: V8 frees backing stores on
 * a background thread after the collection that found them dead, so one gc() is not enough.
 */
export async function sampleMemory(label: string, diskBytes: number): Promise<MemorySample> {
  const gc = gcFunction();
  let previous = Number.NaN;
  for (let round = 0; round < 10; round++) {
    gc();
    await sleep(50);
    const now = process.memoryUsage().arrayBuffers;
    if (now === previous) break;
    previous = now;
  }
  const m = process.memoryUsage();
  return {
    label,
    heap_used: m.heapUsed,
    heap_total: m.heapTotal,
    external: m.external,
    array_buffers: m.arrayBuffers,
    rss: m.rss,
    wasm_resident: wasmResidentBytes(),
    disk_bytes: diskBytes,
  };
}

/**
 * V8 reserves a 32-bit WebAssembly memory with guard pages behind it: one anonymous
 * mapping of 8 GiB or more, whose first part (the memory's current size) is read-write and
 * the rest inaccessible. So: sum the resident size of every anonymous rw-p mapping that is
 * directly followed by an anonymous ---p one and makes up, with it, at least 4 GiB.
 */
function wasmResidentBytes(): number {
  let text: string;
  try {
    text = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return 0;
  }
  const maps: Array<{ start: bigint; end: bigint; perms: string; anonymous: boolean; rssKiB: number }> = [];
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(\S*)/.exec(line);
    if (head) {
      maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3]!, anonymous: head[4] === "0" && head[5] === "", rssKiB: 0 });
    } else if (line.startsWith("Rss:") && maps.length > 0) {
      maps[maps.length - 1]!.rssKiB = parseInt(line.slice(4), 10);
    }
  }
  let kib = 0;
  for (let i = 0; i + 1 < maps.length; i++) {
    const m = maps[i]!, next = maps[i + 1]!;
    const isMemory = m.anonymous && m.perms === "rw-p" && next.anonymous && next.perms === "---p" &&
      next.start === m.end && next.end - m.start >= 4n << 30n;
    if (isMemory) kib += m.rssKiB;
  }
  return kib * 1024;
}

export function memoryGrowth(before: MemorySample, after: MemorySample): MemoryGrowth {
  const diskGrowth = after.disk_bytes - before.disk_bytes;
  const growth: Fields = {
    heap_used: after.heap_used - before.heap_used,
    heap_total: after.heap_total - before.heap_total,
    external: after.external - before.external,
    array_buffers: after.array_buffers - before.array_buffers,
    rss: after.rss - before.rss,
    wasm_resident: after.wasm_resident - before.wasm_resident,
  };
  const beyond: Fields = {
    // The heap holds only the disk's index of its chunks (a few hundred bytes per 64 KiB).
    heap_used: growth.heap_used,
    heap_total: growth.heap_total,
    external: growth.external - diskGrowth,
    array_buffers: growth.array_buffers - diskGrowth,
    rss: growth.rss - diskGrowth - growth.wasm_resident,
    // The guest's RAM: bounded by the size it was given, never the disk's.
    wasm_resident: growth.wasm_resident,
  };
  return { before, after, growth, disk_growth: diskGrowth, growth_beyond_disk: beyond };
}
