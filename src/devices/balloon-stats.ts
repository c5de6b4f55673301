// The balloon's statistics queue (spec 5.5.6.3): the guest posts one buffer of (tag, value)
// pairs; the device keeps it, and asks for fresh figures by giving it back, after which
// the guest fills it again and posts it again. The figures are the guest's own view of
// its memory: free, available, total, caches, page faults.
import type { ChainReader, DescriptorChain } from "../virtio/queue-types.js";
import { STAT_ENTRY_BYTES, STAT_TAGS } from "./balloon-spec.js";

/** More entries than the spec has tags is a guest's doing; the rest are not read. */
export const MAX_STAT_ENTRIES = 64;

/** The guest's memory statistics, by the spec's names; only those the guest sent. */
export type GuestMemoryStats = { [name: string]: number };

const NAMES = new Map(STAT_TAGS.map(([tag, name]) => [tag, name]));

/** Reads a stats buffer: known tags by name, unknown ones as "tag_N"; a short tail is ignored. */
export function readStats(reader: ChainReader): GuestMemoryStats {
  const entries = Math.min(MAX_STAT_ENTRIES, Math.floor(reader.remaining / STAT_ENTRY_BYTES));
  const bytes = reader.read(entries * STAT_ENTRY_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stats: GuestMemoryStats = {};
  for (let i = 0; i < entries; i++) {
    const tag = view.getUint16(i * STAT_ENTRY_BYTES, true);
    // u64 values as numbers: exact up to 2^53 bytes (8 PiB), far beyond any guest here.
    const value = Number(view.getBigUint64(i * STAT_ENTRY_BYTES + 2, true));
    stats[NAMES.get(tag) ?? `tag_${tag}`] = value;
  }
  return stats;
}

/** The stats buffer the device holds between requests, and the last figures read from it. */
export class StatsExchange {
  private held: DescriptorChain | undefined;
  private figures: GuestMemoryStats = {};
  private updates = 0;

  /** A buffer arrived: read it and keep it. A second one returns the first (a guest may post more than one). */
  take(chain: DescriptorChain, giveBack: (chain: DescriptorChain) => void): void {
    if (this.held) giveBack(this.held);
    this.figures = readStats(chain.reader());
    this.updates++;
    this.held = chain;
  }

  /** Asks for fresh figures: gives the held buffer back. False when there is none to give. */
  request(giveBack: (chain: DescriptorChain) => void): boolean {
    const chain = this.held;
    if (!chain) return false;
    this.held = undefined;
    giveBack(chain);
    return true;
  }

  /** The device was reset: the buffer belonged to the old queue. */
  forget(): void {
    this.held = undefined;
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  /** The latest figures and how many buffers brought figures. */
  latest(): { stats: GuestMemoryStats; updates: number } {
    return { stats: { ...this.figures }, updates: this.updates };
  }
}
