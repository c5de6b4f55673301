// Where a capture's pcapng blocks go: memory with a fixed ceiling (the page, which offers
// the bytes as a download), or a file that a CLI streams to (src/cli/pcap-file.ts).

export interface CaptureSink {
  /**
   * Takes one whole block, or refuses it (false: no room, or the sink failed) so that the
   * file never holds part of a block. `closing` blocks (the statistics written when the
   * capture stops) may use room that frames may not, so a full capture still says what it
   * dropped. Never throws.
   */
  write(block: Uint8Array, closing?: boolean): boolean;
}

/** What a full capture keeps back for its closing blocks (one statistics block per card). */
export const CLOSING_RESERVE_BYTES = 16 * 1024;

/** The page's capture: blocks kept in memory, at most `limitBytes` in all. */
export class MemoryCaptureSink implements CaptureSink {
  private readonly blocks: Uint8Array[] = [];
  private used = 0;

  constructor(readonly limitBytes: number) {}

  write(block: Uint8Array, closing = false): boolean {
    const ceiling = closing ? this.limitBytes : this.limitBytes - CLOSING_RESERVE_BYTES;
    if (this.used + block.length > ceiling) return false;
    this.blocks.push(block);
    this.used += block.length;
    return true;
  }

  get byteLength(): number {
    return this.used;
  }

  /** The whole file so far, as one array (a copy: the capture may go on). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.used);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
}
