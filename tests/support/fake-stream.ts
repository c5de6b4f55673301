// A fake StreamConnection for service tests: the test plays the TCP stack and the peer.
// Writes are recorded (and checked later for being modified after write()), bytes stay
// "unacknowledged" until the test acks them, and onWritable fires the way the contract says:
// when bufferedAmount falls below STREAM_LOW_WATER_BYTES. writableBytes offers what the
// high-water mark leaves (the host stack's per-connection cap), and a handler that pauses
// reading gets no data until it resumes, as from the stack.
import { createHash, type Hash } from "node:crypto";
import { STREAM_HIGH_WATER_BYTES, STREAM_LOW_WATER_BYTES, type StreamConnection, type StreamHandler, type StreamService } from "../../src/backends/net/stream-service.js";

export interface FakeStreamOptions {
  /** Keep every written chunk (default true). Off for long streams: only counts and a hash. */
  record?: boolean;
}

export class FakeStream implements StreamConnection {
  handler: StreamHandler | undefined;
  /** Written chunks as given, and copies taken at write time (to catch later modification). */
  readonly chunks: Uint8Array[] = [];
  private readonly copies: Uint8Array[] = [];
  private readonly hash: Hash = createHash("sha256");
  private readonly record: boolean;
  written = 0;
  acked = 0;
  /** The largest bufferedAmount seen right after a write. */
  maxBuffered = 0;
  writeCalls = 0;
  writesAfterEnd = 0;
  onWritableCalls = 0;
  ended = false;
  aborted = false;
  closed = false;
  /** The handler paused reading (pauseReading) and has not resumed. */
  readingPaused = false;
  /** Bytes send() could not deliver because reading was paused (a guest would send them again). */
  refusedWhilePaused = 0;

  constructor(options: FakeStreamOptions = {}) {
    this.record = options.record ?? true;
  }

  /** Accepts a connection for `service` (what the TCP stack does). */
  static open(service: StreamService, options?: FakeStreamOptions): FakeStream {
    const stream = new FakeStream(options);
    stream.handler = service(stream);
    return stream;
  }

  // ---- the service's side (StreamConnection) ----

  get bufferedAmount(): number {
    return this.written - this.acked;
  }

  get writableBytes(): number {
    return this.ended || this.aborted || this.closed ? 0 : Math.max(0, STREAM_HIGH_WATER_BYTES - this.bufferedAmount);
  }

  pauseReading(): void {
    this.readingPaused = true;
  }

  resumeReading(): void {
    this.readingPaused = false;
  }

  write(bytes: Uint8Array): void {
    if (this.ended || this.aborted || this.closed) {
      this.writesAfterEnd++;
      return;
    }
    this.writeCalls++;
    if (this.record) {
      this.chunks.push(bytes);
      this.copies.push(bytes.slice());
    }
    this.hash.update(bytes);
    this.written += bytes.length;
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount);
  }

  end(): void {
    this.ended = true;
  }

  abort(): void {
    this.aborted = true;
  }

  // ---- the peer's and the stack's side ----

  private get h(): StreamHandler {
    if (!this.handler) throw new Error("FakeStream has no handler: use FakeStream.open");
    return this.handler;
  }

  /**
   * Delivers bytes from the peer in a scratch array that is scribbled over afterwards.
   * False (nothing delivered) while the handler has paused reading.
   */
  send(data: Uint8Array | string): boolean {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data.slice();
    if (this.readingPaused) {
      this.refusedWhilePaused += bytes.length;
      return false;
    }
    this.h.onData(bytes);
    bytes.fill(0xee); // the array is only valid during the call
    return true;
  }

  /** The peer's FIN. */
  sendEnd(): void {
    this.h.onEnd();
  }

  /** The connection is gone. */
  close(): void {
    this.closed = true;
    this.h.onClose?.();
  }

  /** The peer acknowledges `n` bytes (default all); onWritable fires on crossing the low-water mark. */
  ack(n = this.bufferedAmount): void {
    if (n < 0 || n > this.bufferedAmount) throw new Error(`cannot ack ${n} of ${this.bufferedAmount} bytes`);
    const before = this.bufferedAmount;
    this.acked += n;
    if (before >= STREAM_LOW_WATER_BYTES && this.bufferedAmount < STREAM_LOW_WATER_BYTES) {
      this.onWritableCalls++;
      this.h.onWritable?.();
    }
  }

  /** Acks everything until the service writes no more or `limit` bytes were written. */
  drain(limit = Infinity): void {
    while (this.bufferedAmount > 0 && this.written < limit) this.ack();
  }

  /** Everything written, in order (recording must be on). */
  output(): Uint8Array {
    if (!this.record) throw new Error("this FakeStream does not record data");
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return Buffer.from(this.output()).toString("latin1");
  }

  /** The hex SHA-256 of everything written (also without recording). */
  outputSha256(): string {
    return this.hash.copy().digest("hex");
  }

  /** Throws if a service modified a chunk after handing it to write(). */
  verifyChunksUnmodified(): void {
    this.chunks.forEach((chunk, i) => {
      if (!Buffer.from(chunk).equals(Buffer.from(this.copies[i]!))) throw new Error(`chunk ${i} was modified after write()`);
    });
  }
}

/** Opens a connection, sends the pieces (then FIN if asked), runs `settle` (deferred work), acks everything. */
export function playExchange(
  service: StreamService,
  pieces: readonly (string | Uint8Array)[],
  options: { fin?: boolean; settle?: () => void } = {},
): FakeStream {
  const stream = FakeStream.open(service);
  for (const piece of pieces) stream.send(piece);
  if (options.fin) stream.sendEnd();
  options.settle?.();
  stream.drain();
  stream.verifyChunksUnmodified();
  if (stream.writesAfterEnd > 0) throw new Error(`${stream.writesAfterEnd} writes after end()`);
  return stream;
}

export interface HttpResponse {
  status: number;
  /** Field values by lower-case name. */
  headers: Map<string, string>;
  body: Buffer;
  /** Interim (1xx) status codes seen before the final response. */
  interim: number[];
}

/** Parses what an HTTP service wrote: interim responses, then one final response. */
export function parseHttpResponse(bytes: Uint8Array): HttpResponse {
  let rest = Buffer.from(bytes);
  const interim: number[] = [];
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(rest.toString("latin1").slice(0, 200))}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString("latin1").split("\r\n");
    const match = /^HTTP\/1\.1 (\d{3}) [A-Za-z -]+$/.exec(statusLine!);
    if (!match) throw new Error(`bad status line ${statusLine}`);
    const status = Number(match[1]);
    rest = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      interim.push(status);
      continue;
    }
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as const));
    return { status, headers, body: rest, interim };
  }
}

/** A hand-cranked scheduler for services that defer work: `run` runs what is queued (and what that queues). */
export function deferQueue(): { pending: (() => void)[]; defer: (fn: () => void) => void; run: () => number } {
  const pending: (() => void)[] = [];
  const run = (): number => {
    let n = 0;
    for (let fn = pending.shift(); fn; fn = pending.shift()) (n++, fn());
    return n;
  };
  return { pending, defer: (fn) => void pending.push(fn), run };
}
