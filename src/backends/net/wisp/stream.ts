// One guest TCP connection carried as one wisp stream: the handler the host network calls
// for the guest's side, and what the session calls for the server's side.
//
// Wisp has no half-close: a CLOSE ends both directions. So the guest's FIN is not passed on
// (closing the stream then would throw away the reply the guest is waiting for); the stream
// is closed when the guest's connection is gone. The server's CLOSE "voluntary" is how a
// wisp server says the far end closed: the guest gets what is left, then FIN; any other
// reason resets the guest's connection.
import type { StreamConnection, StreamHandler } from "../stream-service.js";
import type { WispLimits } from "./limits.js";
import type { PausedStream } from "./receive-pause.js";
import { CLOSE_CLIENT_OVERRUN, CLOSE_VOLUNTARY, closeReasonName, type WispPacket } from "./packet.js";

/** What a stream needs from its session. */
export interface StreamPort {
  readonly limits: Readonly<WispLimits>;
  send(packet: WispPacket): void;
  /** The transport takes more now (handshake done, not backed up); else calls retry later. */
  canSend(stream: WispStream): boolean;
  /** Room for `bytes` more in the session's total backlog. */
  totalRoomFor(bytes: number): boolean;
  /** This stream's backlog changed by `delta` and is now `backlog`. */
  backlogChanged(stream: WispStream, delta: number, backlog: number): void;
  /** The stream is over: forget it (after a CLOSE was sent or received). */
  gone(stream: WispStream): void;
  log(message: string): void;
}

type State = "connecting" | "open" | "ending" | "closed";

export class WispStream implements StreamHandler, PausedStream {
  /** DATA packets the server will take now (CONTINUE). */
  private credits = 0;
  /** Guest bytes delivered while no credit was left: the guest is told to wait meanwhile. */
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private readingPaused = false;
  /** Server bytes the guest's connection has not taken yet. */
  private readonly backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private state: State = "connecting";
  /** Bytes given to the guest so far. */
  given = 0;

  constructor(
    readonly id: number,
    readonly host: string,
    readonly port: number,
    private readonly connection: StreamConnection,
    private readonly session: StreamPort,
  ) {}

  get closed(): boolean {
    return this.state === "closed";
  }

  get queuedFromServer(): number {
    return this.backlogBytes;
  }

  /** Guest bytes waiting for credits or the transport. */
  get queuedFromGuest(): number {
    return this.heldBytes;
  }

  // ---- the session's side ----

  /** The handshake is done and CONNECT went out: `credits` is the server's initial buffer. */
  opened(credits: number): void {
    if (this.state !== "connecting") return;
    this.state = "open";
    this.credits = credits;
    this.sendHeld();
  }

  onContinue(credits: number): void {
    if (this.state !== "open") return;
    this.credits = credits;
    this.sendHeld();
  }

  onServerData(data: Uint8Array): void {
    if (this.state !== "open") return; // after our CLOSE, or after the server's: late packets
    if (data.length === 0) return;
    const limits = this.session.limits;
    if (this.backlogBytes + data.length > limits.streamLimitBytes || !this.session.totalRoomFor(data.length)) {
      this.overrun(`the server sent more than the guest reads (${this.backlogBytes} bytes waiting)`);
      return;
    }
    this.backlog.push(data);
    this.flush(data.length);
  }

  onServerClose(reason: number): void {
    if (this.state === "closed") return;
    if (reason === CLOSE_VOLUNTARY && this.state !== "connecting") {
      this.state = "ending";
      this.dropHeld();
      this.flush();
      return;
    }
    if (this.state === "connecting" || reason !== CLOSE_VOLUNTARY) {
      this.session.log(`wisp: ${this.host}:${this.port}: closed by the server: ${closeReasonName(reason)}`);
    }
    this.reset();
  }

  /** The guest cannot keep up: the stream is closed (0x81) and the guest's connection reset. */
  overrun(why: string): void {
    if (this.state === "closed") return;
    this.session.log(`wisp: ${this.host}:${this.port}: ${why}; resetting it`);
    // After the server's own CLOSE ("ending") it knows the stream no more.
    if (this.state === "open") this.session.send({ kind: "close", streamId: this.id, reason: CLOSE_CLIENT_OVERRUN });
    this.reset();
  }

  /** The transport is gone: the guest's connection is reset. */
  transportGone(): void {
    if (this.state !== "closed") this.reset();
  }

  /** Held data may go now (the transport drained, or credits came). */
  sendHeld(): void {
    const max = this.session.limits.maxDataBytes;
    while (this.state === "open" && this.held.length > 0 && this.credits > 0 && this.session.canSend(this)) {
      const chunk = this.held[0]!;
      const piece = chunk.length > max ? chunk.subarray(0, max) : chunk;
      if (piece === chunk) this.held.shift();
      else this.held[0] = chunk.subarray(max);
      this.heldBytes -= piece.length;
      this.credits--;
      this.session.send({ kind: "data", streamId: this.id, data: piece });
    }
    if (this.held.length === 0 && this.readingPaused && this.state === "open") {
      this.readingPaused = false;
      this.connection.resumeReading();
    }
  }

  // ---- the guest's side (StreamHandler) ----

  onData(bytes: Uint8Array): void {
    if (this.state !== "open" && this.state !== "connecting") return; // the server closed: nowhere to go
    // The array is only valid during the call; it is sent at once if it can be, else kept.
    this.held.push(bytes.slice());
    this.heldBytes += bytes.length;
    this.sendHeld();
    if (this.held.length > 0 && !this.readingPaused) {
      this.readingPaused = true;
      this.connection.pauseReading();
    }
  }

  onEnd(): void {
    // No half-close in wisp (see the top of this file).
  }

  onWritable(): void {
    this.flush();
  }

  onClose(): void {
    if (this.state === "closed") return;
    // Only an open stream is known to the server: after its CLOSE ("ending") there is
    // nothing to close, and before the handshake no CONNECT went out.
    if (this.state === "open") this.session.send({ kind: "close", streamId: this.id, reason: CLOSE_VOLUNTARY });
    this.finish();
  }

  // ---- internals ----

  /**
   * Gives the guest what it has room for; after the server's FIN, FIN once all is given.
   * `arrived` bytes were just added to the backlog: the session hears the net change once,
   * so a packet the guest takes at once never counts as backlog (nor pauses the transport).
   */
  private flush(arrived = 0): void {
    let given = 0;
    while (this.backlog.length > 0) {
      const room = this.connection.writableBytes;
      if (room <= 0) break;
      const chunk = this.backlog[0]!;
      if (chunk.length <= room) {
        this.backlog.shift();
        this.connection.write(chunk);
        given += chunk.length;
      } else {
        this.connection.write(chunk.subarray(0, room));
        this.backlog[0] = chunk.subarray(room);
        given += room;
      }
      if (this.state === "closed") return; // the write reset the connection
    }
    this.given += given;
    if (arrived !== given) this.setBacklog(arrived - given);
    if (this.state === "ending" && this.backlog.length === 0) {
      this.connection.end();
      this.finish();
    }
  }

  private setBacklog(delta: number): void {
    this.backlogBytes += delta;
    this.session.backlogChanged(this, delta, this.backlogBytes);
  }

  private dropHeld(): void {
    this.held.length = 0;
    this.heldBytes = 0;
  }

  private reset(): void {
    this.finish();
    this.connection.abort();
  }

  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.dropHeld();
    this.backlog.length = 0;
    if (this.backlogBytes > 0) this.setBacklog(-this.backlogBytes);
    this.session.gone(this);
  }
}
