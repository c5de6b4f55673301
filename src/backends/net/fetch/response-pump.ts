// Streams a fetch() response body to the guest the way every producer on the host network
// does: no more than connection.writableBytes at a time, the rest from onWritable. The next
// piece is read from the body only when the previous one is written, so what is held here is
// at most one piece as the browser hands it over (plus the read-ahead the connection made to
// learn a short body's length), however large the body and however slowly the guest reads.
import type { StreamConnection } from "../stream-service.js";
import { PUMP_CHUNK_BYTES } from "../services/backpressure.js";
import type { ResponseFraming } from "./response-head.js";

/** Room for a chunk's framing: up to 8 hex digits of size and two CRLFs. */
const CHUNK_OVERHEAD = 12;
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

export interface PumpEvents {
  /** The whole body went out (framing closed); the connection can take the next request. */
  done(): void;
  /** Reading failed or the body did not match its declared length: the guest must not take it as complete. */
  failed(reason: string): void;
}

export class ResponsePump {
  private pending: Uint8Array[];
  private sent = 0;
  private reading = false;
  private ended = false;
  private stopped = false;
  private running = false;

  constructor(
    private readonly connection: StreamConnection,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly framing: ResponseFraming,
    readAhead: Uint8Array[],
    bodyEnded: boolean,
    private readonly events: PumpEvents,
  ) {
    this.pending = readAhead;
    this.ended = bodyEnded;
  }

  /** Writes what the connection takes now; called to start and from onWritable. */
  run(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    try {
      this.write();
    } finally {
      this.running = false;
    }
  }

  /** The guest went away: stop reading and let the fetch go. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = [];
    this.reader.cancel().catch(() => undefined);
  }

  private write(): void {
    const chunked = this.framing.kind === "chunked";
    for (;;) {
      const room = this.connection.writableBytes - (chunked ? CHUNK_OVERHEAD : 0);
      if (room <= 0) return; // onWritable brings us back
      const piece = this.pending[0];
      if (!piece) {
        if (this.ended) return this.finish();
        return this.readNext();
      }
      const take = Math.min(piece.length, room, PUMP_CHUNK_BYTES);
      const data = take === piece.length ? piece : piece.subarray(0, take);
      if (take === piece.length) this.pending.shift();
      else this.pending[0] = piece.subarray(take);
      this.sent += take;
      if (this.framing.kind === "length" && this.sent > this.framing.length) return this.fail(`the body is longer than the ${this.framing.length} bytes its Content-Length said`);
      this.connection.write(chunked ? frame(data) : data);
    }
  }

  private readNext(): void {
    if (this.reading) return;
    this.reading = true;
    this.reader.read().then(
      (result) => {
        this.reading = false;
        if (this.stopped) return;
        if (result.done) this.ended = true;
        else if (result.value.length > 0) this.pending.push(result.value);
        this.run();
      },
      (error: unknown) => {
        this.reading = false;
        if (!this.stopped) this.fail(`reading the body failed: ${String(error)}`);
      },
    );
  }

  private finish(): void {
    if (this.framing.kind === "length" && this.sent !== this.framing.length) return this.fail(`the body ended after ${this.sent} of the ${this.framing.length} bytes its Content-Length said`);
    if (this.framing.kind === "chunked") {
      if (this.connection.writableBytes < LAST_CHUNK.length) return; // onWritable brings us back
      this.connection.write(LAST_CHUNK);
    }
    this.stopped = true;
    this.events.done();
  }

  private fail(reason: string): void {
    this.stop();
    this.events.failed(reason);
  }
}

/** One chunk of chunked transfer coding, in one array (the connection keeps it). */
function frame(data: Uint8Array): Uint8Array {
  const size = new TextEncoder().encode(`${data.length.toString(16)}\r\n`);
  const out = new Uint8Array(size.length + data.length + 2);
  out.set(size);
  out.set(data, size.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}
