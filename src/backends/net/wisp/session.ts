// One wisp connection: the handshake (v2's INFO exchange when the server opens with INFO,
// v1 when it opens with CONTINUE), the streams on it, and the transport's backpressure.
// Everything the server sends is checked; whatever it does costs at most the limits of
// limits.ts, and the worst a broken or hostile server gets is its own connection closed.
import type { StreamConnection, StreamHandler } from "../stream-service.js";
import { errorMessage } from "../../../util/error-message.js";
import { DEFAULT_WISP_LIMITS, type WispLimits } from "./limits.js";
import {
  CLOSE_INCOMPATIBLE, CONNECTION_STREAM_ID, EXTENSION_KEY_AUTH, EXTENSION_MOTD, EXTENSION_PASSWORD, STREAM_TCP,
  closeReasonName, decodePacket, encodePacket, parseExtensions, type WispPacket,
} from "./packet.js";
import { ReceivePause } from "./receive-pause.js";
import { defaultSchedule, type Schedule } from "./schedule.js";
import { WispStream, type StreamPort } from "./stream.js";
import type { WispTransport } from "./transport.js";

export interface WispSessionOptions {
  log(message: string): void;
  limits?: Partial<WispLimits>;
  schedule?: Schedule;
  /** The session is over (transport closed, handshake failed, or close()). */
  onDead?(reason: string): void;
}

export interface WispSessionStats {
  version: 1 | 2 | undefined;
  streams: number;
  backlogBytes: number;
  /** The largest backlog seen, one stream and all streams. */
  maxStreamBacklogBytes: number;
  maxTotalBacklogBytes: number;
  pauses: number;
  /** Packets for streams that do not exist (or no longer), and packets that do not parse. */
  strayPackets: number;
  malformedPackets: number;
}

type Phase = "opening" | "hello" | "v2-continue" | "ready" | "dead";

export class WispSession implements StreamPort {
  readonly limits: Readonly<WispLimits>;
  private readonly schedule: Schedule;
  private phase: Phase = "opening";
  private readonly streams = new Map<number, WispStream>();
  private nextId = 1;
  private initialCredits = 0;
  private version: 1 | 2 | undefined;
  private totalBacklog = 0;
  private readonly pause: ReceivePause;
  /** Streams with data held back because the transport has too much unsent. */
  private readonly waitingToSend = new Set<WispStream>();
  private cancelPoll: (() => void) | undefined;
  private cancelHandshake: (() => void) | undefined;
  private readonly figures = { maxStreamBacklogBytes: 0, maxTotalBacklogBytes: 0, strayPackets: 0, malformedPackets: 0 };

  constructor(private readonly transport: WispTransport, private readonly options: WispSessionOptions) {
    this.limits = { ...DEFAULT_WISP_LIMITS, ...options.limits };
    this.schedule = options.schedule ?? defaultSchedule;
    this.pause = new ReceivePause(transport, this.limits, this.schedule);
    transport.onOpen = () => {
      if (this.phase === "opening") this.phase = "hello";
    };
    transport.onMessage = (bytes) => this.guarded(() => this.receive(bytes));
    transport.onClose = (reason) => this.die(reason);
    this.cancelHandshake = this.schedule(
      () => this.fail(`the server did not complete the wisp handshake within ${this.limits.handshakeTimeoutMs} ms`),
      this.limits.handshakeTimeoutMs,
    );
  }

  get dead(): boolean {
    return this.phase === "dead";
  }

  stats(): WispSessionStats {
    return { version: this.version, streams: this.streams.size, backlogBytes: this.totalBacklog, pauses: this.pause.pauses, ...this.figures };
  }

  /** A guest connection to host:port; its data waits (reading paused) until the handshake is done. */
  open(host: string, port: number, connection: StreamConnection): StreamHandler {
    if (this.phase === "dead") throw new Error("wisp: the connection to the server is closed");
    if (this.streams.size >= this.limits.maxStreams) throw new Error(`wisp: ${this.limits.maxStreams} streams are open already`);
    const id = this.allocateId();
    const stream = new WispStream(id, host, port, connection, this);
    this.streams.set(id, stream);
    if (this.phase === "ready") this.connect(stream);
    return stream;
  }

  /** Closes the transport; every stream's guest connection is reset. */
  close(reason = "closed"): void {
    if (this.phase === "dead") return;
    this.die(reason);
    this.transport.close();
  }

  // ---- StreamPort ----

  send(packet: WispPacket): void {
    if (this.phase === "dead") return;
    this.transport.send(encodePacket(packet));
  }

  canSend(stream: WispStream): boolean {
    if (this.phase !== "ready") return false;
    if ((this.transport.bufferedAmount ?? 0) < this.limits.sendHighWaterBytes) return true;
    this.waitingToSend.add(stream);
    this.cancelPoll ??= this.schedule(() => this.retrySends(), this.limits.sendPollMs);
    return false;
  }

  totalRoomFor(bytes: number): boolean {
    return this.totalBacklog + bytes <= this.limits.totalLimitBytes;
  }

  backlogChanged(stream: WispStream, delta: number, backlog: number): void {
    this.totalBacklog += delta;
    const f = this.figures;
    f.maxStreamBacklogBytes = Math.max(f.maxStreamBacklogBytes, backlog);
    f.maxTotalBacklogBytes = Math.max(f.maxTotalBacklogBytes, this.totalBacklog);
    if (this.phase !== "dead") this.pause.changed(stream, backlog, this.totalBacklog);
  }

  gone(stream: WispStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.waitingToSend.delete(stream);
    if (this.phase !== "dead") this.pause.gone(stream, this.totalBacklog);
  }

  log(message: string): void {
    this.options.log(message);
  }

  // ---- internals ----

  private allocateId(): number {
    // Ids are the client's choice; 0 is the connection itself. Skip ids still in use after a wrap.
    while (this.nextId === CONNECTION_STREAM_ID || this.streams.has(this.nextId)) this.nextId = (this.nextId + 1) >>> 0;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return id;
  }

  private connect(stream: WispStream): void {
    this.send({ kind: "connect", streamId: stream.id, streamType: STREAM_TCP, port: stream.port, hostname: stream.host });
    stream.opened(this.initialCredits);
  }

  private credits(value: number): number {
    return Math.min(value, this.limits.maxCredits);
  }

  private receive(bytes: Uint8Array): void {
    if (this.phase === "dead") return;
    if (this.phase === "opening") this.phase = "hello"; // a transport that reports no open
    const packet = decodePacket(bytes);
    if (packet.kind === "malformed") {
      this.figures.malformedPackets++;
      if (this.phase !== "ready") this.fail(`a malformed packet during the handshake: ${packet.error}`);
      return;
    }
    if (packet.streamId === CONNECTION_STREAM_ID) return this.connectionPacket(packet);
    if (this.phase !== "ready") return this.fail(`a ${packet.kind.toUpperCase()} packet for stream ${packet.streamId} before the handshake was done`);
    const stream = this.streams.get(packet.streamId);
    if (!stream) {
      this.figures.strayPackets++;
      return;
    }
    if (packet.kind === "data") stream.onServerData(packet.data);
    else if (packet.kind === "continue") stream.onContinue(this.credits(packet.bufferRemaining));
    else if (packet.kind === "close") stream.onServerClose(packet.reason);
    else this.figures.strayPackets++; // CONNECT or INFO from a server: meaningless here
  }

  private connectionPacket(packet: WispPacket): void {
    if (packet.kind === "close") return this.fail(`the server closed the wisp connection: ${closeReasonName(packet.reason)}`);
    if (packet.kind === "info" && this.phase === "hello") return this.serverInfo(packet.major, packet.minor, packet.extensions);
    if (packet.kind === "continue" && (this.phase === "hello" || this.phase === "v2-continue")) {
      this.version ??= 1;
      this.initialCredits = this.credits(packet.bufferRemaining);
      return this.ready();
    }
    if (this.phase === "ready") {
      this.figures.strayPackets++; // a late or repeated handshake packet
      return;
    }
    this.fail(`an unexpected ${packet.kind.toUpperCase()} packet during the wisp handshake`);
  }

  private serverInfo(major: number, minor: number, extensionBytes: Uint8Array): void {
    const extensions = parseExtensions(extensionBytes);
    if ("error" in extensions) return this.fail(`the server's INFO packet: ${extensions.error}`);
    for (const e of extensions) {
      const required = (e.id === EXTENSION_PASSWORD || e.id === EXTENSION_KEY_AUTH) && e.payload[0] === 1;
      if (required) {
        this.send({ kind: "close", streamId: CONNECTION_STREAM_ID, reason: CLOSE_INCOMPATIBLE });
        return this.fail("the wisp server requires authentication, which this client does not do");
      }
      if (e.id === EXTENSION_MOTD) {
        const motd = new TextDecoder().decode(e.payload.subarray(0, 400)).replace(/[\x00-\x1f\x7f]+/g, " ");
        this.log(`wisp: the server says: ${motd}`);
      }
    }
    this.version = 2;
    this.log(`wisp: protocol v2 (the server speaks ${major}.${minor})`);
    // Our INFO lists no extension: TCP only, no UDP, no authentication.
    this.send({ kind: "info", streamId: CONNECTION_STREAM_ID, major: 2, minor: 0, extensions: new Uint8Array(0) });
    this.phase = "v2-continue";
  }

  private ready(): void {
    this.phase = "ready";
    this.cancelHandshake?.();
    this.cancelHandshake = undefined;
    if (this.version === 1) this.log("wisp: protocol v1 (the server offers no v2)");
    for (const stream of [...this.streams.values()]) this.connect(stream);
  }

  private retrySends(): void {
    this.cancelPoll = undefined;
    const waiting = [...this.waitingToSend];
    this.waitingToSend.clear();
    for (const stream of waiting) stream.sendHeld();
  }

  /** A handler or the transport threw: a bug here must not take the machine down. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (caught) {
      this.close(`wisp: internal error: ${errorMessage(caught)}`);
    }
  }

  private fail(reason: string): void {
    this.close(reason);
  }

  private die(reason: string): void {
    if (this.phase === "dead") return;
    const wasReady = this.phase === "ready";
    this.phase = "dead";
    this.cancelHandshake?.();
    this.cancelPoll?.();
    this.log(`wisp: ${wasReady ? "connection lost" : "could not connect"}: ${reason}`);
    for (const stream of [...this.streams.values()]) stream.transportGone();
    this.streams.clear();
    this.pause.stop();
    this.waitingToSend.clear();
    this.options.onDead?.(reason);
  }
}
