// A connection's outgoing bytes, from the first unacknowledged one to the last written:
// a list of chunks, never one growing array (no O(n^2) concatenation for a 64 MiB
// transfer). Large writes are kept as they are (the StreamConnection contract lets us);
// small ones are packed into shared blocks so a chatty writer cannot make the list long.
// Reads are mostly sequential (the next segment starts where the last ended), so a cursor
// remembers the chunk of the last read.
//
// Every change of size is reported to the account the buffer is attached to (the stack's
// SendBudget), so the host's total is known without summing over connections.
import type { BufferAccount } from "./send-budget.js";

const SMALL_WRITE_BYTES = 2048;
const PACK_BLOCK_BYTES = 16 * 1024;

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Index of the first live chunk, and how much of it was already consumed. */
  private head = 0;
  private headOffset = 0;
  /** Absolute stream position of the first byte not yet consumed. */
  private startPosition = 0;
  /** The packing block that backs the last chunk, if the last chunk is packed. */
  private packBlock: Uint8Array | undefined;
  private packUsed = 0;
  /** Read cursor: a chunk index and the absolute stream position of its first byte. */
  private cursorIndex = 0;
  private cursorPosition = 0;
  private bytes = 0;
  private account: BufferAccount | undefined;

  get length(): number {
    return this.bytes;
  }

  /** From now on every change of size is reported to `account` (starting with the bytes held now). */
  attach(account: BufferAccount): void {
    this.account?.resized(this.bytes, 0);
    this.account = account;
    account.resized(0, this.bytes);
  }

  /** Drops everything (the connection is gone) and reports the buffer empty. */
  release(): void {
    this.consume(this.bytes);
  }

  push(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    const before = this.bytes;
    this.bytes += n;
    this.account?.resized(before, this.bytes);
    if (n > SMALL_WRITE_BYTES) {
      this.packBlock = undefined;
      this.chunks.push(data);
      return;
    }
    if (this.packBlock === undefined || this.packUsed + n > this.packBlock.length) {
      // A block no larger than what is held already (at least a small write's worth): a
      // connection that writes one short response head does not pin 16 KiB.
      this.packBlock = new Uint8Array(Math.min(PACK_BLOCK_BYTES, Math.max(SMALL_WRITE_BYTES, before)));
      this.packUsed = 0;
      this.chunks.push(this.packBlock.subarray(0, 0));
    }
    this.packBlock.set(data, this.packUsed);
    this.packUsed += n;
    // The last chunk grows in place: same start, longer view.
    this.chunks[this.chunks.length - 1] = this.packBlock.subarray(0, this.packUsed);
  }

  /** Drops the first `n` bytes (they were acknowledged). */
  consume(n: number): void {
    n = Math.min(n, this.bytes);
    const before = this.bytes;
    this.bytes -= n;
    if (n > 0) this.account?.resized(before, this.bytes);
    this.startPosition += n;
    while (n > 0) {
      const chunk = this.chunks[this.head];
      if (chunk === undefined) break;
      const left = chunk.length - this.headOffset;
      if (n < left) {
        this.headOffset += n;
        break;
      }
      n -= left;
      this.chunks[this.head] = EMPTY; // let the collector have it now
      this.head++;
      this.headOffset = 0;
    }
    if (this.bytes === 0) {
      this.chunks = [];
      this.head = 0;
      this.headOffset = 0;
      this.packBlock = undefined;
      this.cursorIndex = 0;
      this.cursorPosition = this.startPosition;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.cursorIndex -= this.head;
      this.head = 0;
    }
  }

  /** Copies `length` bytes starting `offset` bytes after the first unconsumed one. */
  copyTo(offset: number, length: number, dest: Uint8Array, destOffset: number): void {
    if (offset < 0 || length <= 0 || offset + length > this.bytes) return;
    let position = this.startPosition + offset;
    const headPosition = this.startPosition - this.headOffset;
    if (this.cursorIndex < this.head || this.cursorPosition > position) {
      this.cursorIndex = this.head;
      this.cursorPosition = headPosition;
    }
    let remaining = length;
    let out = destOffset;
    while (remaining > 0) {
      const chunk = this.chunks[this.cursorIndex];
      if (chunk === undefined) return;
      const chunkEnd = this.cursorPosition + chunk.length;
      if (position >= chunkEnd) {
        this.cursorIndex++;
        this.cursorPosition = chunkEnd;
        continue;
      }
      const from = position - this.cursorPosition;
      const n = Math.min(remaining, chunk.length - from);
      dest.set(n === chunk.length ? chunk : chunk.subarray(from, from + n), out);
      out += n;
      position += n;
      remaining -= n;
    }
  }
}

const EMPTY = new Uint8Array(0);
