// A cable to a real network through a WebSocket relay, in the format v86's own
// NetworkAdapter speaks (src/browser/network.js, for relays like websockproxy): a binary
// WebSocket, one message per Ethernet frame each way, no header, no framing. The relay is
// a plain Ethernet segment, so this backend never claims offloads toward the guest and
// does checksum and segmentation offload in software for frames from the guest.
import { FrameQueue } from "./frame-queue.js";
import type { GuestNetCapabilities, NetBackend, NetFrame } from "./net-backend.js";
import { OffloadError, softwareOffload } from "./software-offload.js";
import { errorMessage } from "../../util/error-message.js";

const ETHERNET_HEADER_BYTES = 14;

/** The part of the DOM WebSocket this backend uses; a real WebSocket satisfies it. */
export interface RelaySocket {
  binaryType: BinaryType;
  readonly bufferedAmount: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}

export type RelaySocketFactory = (url: string) => RelaySocket;

/** Timers, injectable so tests drive reconnection by hand. Returns a cancel function. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

export interface WebSocketRelayOptions {
  /** Creates the socket; default `new WebSocket(url)`. */
  socketFactory?: RelaySocketFactory;
  schedule?: Schedule;
  now?: () => number;
  log?: (message: string) => void;
  /** Frames from the relay waiting for the guest; over this the oldest are dropped. */
  guestQueueFrames?: number;
  /** Frames from the guest waiting for the socket to open; over this the oldest are dropped. */
  sendQueueFrames?: number;
  /** Frames are dropped rather than sent while the socket has more than this unsent. */
  maxBufferedBytes?: number;
  /** First reconnect delay; doubles after every failure up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** At most this many connection attempts in any 60 s. */
  attemptsPerMinute?: number;
}

export type RelayState = "connecting" | "open" | "waiting" | "closed";

export interface RelayCounters {
  framesToRelay: number;
  bytesToRelay: number;
  framesFromRelay: number;
  bytesFromRelay: number;
  /** Guest frames lost: send queue full while disconnected, or the socket backed up. */
  droppedToRelay: number;
  /** Relay frames lost: the guest queue was full (the oldest went), or too big for the guest. */
  droppedToGuest: number;
  /** Frames that were not Ethernet (too short, text messages) or whose offload did not fit. */
  malformed: number;
  connectAttempts: number;
  reconnects: number;
}

export interface RelayStatus {
  url: string;
  state: RelayState;
  connected: boolean;
  /** Why the last connection ended, or why there is none. */
  lastError: string | undefined;
  counters: RelayCounters;
}

const MINUTE_MS = 60_000;

export class WebSocketRelayBackend implements NetBackend {
  private readonly counters: RelayCounters = {
    framesToRelay: 0, bytesToRelay: 0, framesFromRelay: 0, bytesFromRelay: 0,
    droppedToRelay: 0, droppedToGuest: 0, malformed: 0, connectAttempts: 0, reconnects: 0,
  };
  private readonly factory: RelaySocketFactory;
  private readonly schedule: Schedule;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly guestQueue: FrameQueue<Uint8Array>;
  private readonly sendQueue: FrameQueue<Uint8Array>;
  private readonly maxBufferedBytes: number;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly attemptsPerMinute: number;
  private socket: RelaySocket | undefined;
  private state: RelayState = "connecting";
  private lastError: string | undefined;
  private delayMs: number;
  private attempts: number[] = []; // start times of recent connection attempts
  private cancelTimer: (() => void) | undefined;
  private guestReady: () => void = () => {};
  private statusListener: (status: RelayStatus) => void = () => {};
  private caps: GuestNetCapabilities | undefined;

  constructor(readonly url: string, opts: WebSocketRelayOptions = {}) {
    this.factory = opts.socketFactory ?? ((u) => new WebSocket(u));
    this.schedule = opts.schedule ?? ((cb, ms) => { const t = setTimeout(cb, ms); return () => clearTimeout(t); });
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((m) => console.info(`[relay] ${m}`));
    this.guestQueue = new FrameQueue(opts.guestQueueFrames ?? 1024);
    this.sendQueue = new FrameQueue(opts.sendQueueFrames ?? 256);
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 4 << 20;
    this.firstDelayMs = opts.reconnectDelayMs ?? 1000;
    this.maxDelayMs = opts.maxReconnectDelayMs ?? 30_000;
    this.attemptsPerMinute = opts.attemptsPerMinute ?? 6;
    this.delayMs = this.firstDelayMs;
    this.connect();
  }

  get status(): RelayStatus {
    return { url: this.url, state: this.state, connected: this.state === "open", lastError: this.lastError, counters: { ...this.counters } };
  }

  /** `listener` runs on every change of state (not on counter changes: poll `status`). */
  onStatusChange(listener: (status: RelayStatus) => void): void {
    this.statusListener = listener;
  }

  receiveFromGuest(frame: NetFrame): void {
    let frames: Uint8Array[];
    try {
      frames = softwareOffload(frame);
    } catch (e) {
      if (!(e instanceof OffloadError)) throw e;
      this.counters.malformed++;
      return;
    }
    for (const f of frames) {
      if (this.state === "open" && this.socket) this.transmit(this.socket, f);
      else if (this.sendQueue.push(f) !== undefined) this.counters.droppedToRelay++;
    }
  }

  nextForGuest(): NetFrame | undefined {
    const bytes = this.guestQueue.shift();
    return bytes && { bytes }; // no offload flags: relay frames carry real checksums, one segment each
  }

  onGuestFramesReady(listener: () => void): void {
    this.guestReady = listener;
  }

  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void {
    this.caps = caps;
    // A reset driver must not get frames queued for its previous life (a NIC drops them too).
    if (caps === undefined) this.guestQueue.clear();
  }

  /**
   * The guest's device was reset: frames queued for it go. The relay holds no connection
   * state of the guest's (its TCP lives in the guest and beyond the relay), so that is all;
   * the socket stays up for the next driver.
   */
  guestReset(): void {
    this.guestQueue.clear();
  }

  /** Stops for good: closes the socket and cancels any reconnection. */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const socket = this.socket;
    this.socket = undefined; // its close event is then ignored
    socket?.close();
    this.setState("closed");
  }

  private connect(): void {
    this.cancelTimer = undefined;
    const now = this.now();
    this.attempts = this.attempts.filter((t) => t > now - MINUTE_MS);
    this.attempts.push(now);
    if (this.counters.connectAttempts++ > 0) this.counters.reconnects++;
    let socket: RelaySocket;
    try {
      socket = this.factory(this.url);
    } catch (e) {
      // The constructor throws only for a URL it can never open (syntax, scheme).
      this.lastError = errorMessage(e);
      this.log(`cannot open ${this.url}: ${this.lastError}`);
      this.setState("closed");
      return;
    }
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    let failed = false; // browsers fire error (with no detail) just before close
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (ev) => { if (socket === this.socket) this.fromRelay(ev.data); };
    socket.onerror = () => { failed = true; };
    socket.onclose = (ev) => this.closed(socket, ev, failed);
    this.setState("connecting");
  }

  private opened(socket: RelaySocket): void {
    if (socket !== this.socket) return;
    this.delayMs = this.firstDelayMs;
    this.lastError = undefined;
    this.log(`connected to ${this.url}`);
    this.setState("open");
    for (let f = this.sendQueue.shift(); f; f = this.sendQueue.shift()) this.transmit(socket, f);
  }

  private closed(socket: RelaySocket, ev: CloseEvent, failed: boolean): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.lastError = `${failed ? "failed, " : ""}closed (code ${ev.code}${ev.reason ? `, ${ev.reason}` : ""})`;
    // Exponential backoff, and never more than attemptsPerMinute in any minute: a relay
    // that accepts and drops at once must not be hammered.
    let delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.maxDelayMs);
    const oldest = this.attempts[this.attempts.length - this.attemptsPerMinute];
    if (oldest !== undefined) delay = Math.max(delay, oldest + MINUTE_MS - this.now());
    this.log(`${this.url} ${this.lastError}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
    this.cancelTimer = this.schedule(() => this.connect(), delay);
    this.setState("waiting");
  }

  private transmit(socket: RelaySocket, frame: Uint8Array): void {
    // The browser buffers unsent data without limit: past a bound, loss beats memory.
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      this.counters.droppedToRelay++;
      return;
    }
    socket.send(frame);
    this.counters.framesToRelay++;
    this.counters.bytesToRelay += frame.length;
  }

  private fromRelay(data: unknown): void {
    // binaryType "arraybuffer" gives ArrayBuffers; a view is accepted too (copied, since
    // its buffer may be shared). Text messages are not frames.
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
      : undefined;
    if (!bytes || bytes.length < ETHERNET_HEADER_BYTES) {
      this.counters.malformed++;
      return;
    }
    this.counters.framesFromRelay++;
    this.counters.bytesFromRelay += bytes.length;
    if (this.caps && bytes.length > this.caps.maxFrameBytes) {
      this.counters.droppedToGuest++;
      return;
    }
    if (this.guestQueue.push(bytes) !== undefined) this.counters.droppedToGuest++;
    this.guestReady();
  }

  private setState(state: RelayState): void {
    if (state === this.state) return;
    this.state = state;
    this.statusListener(this.status);
  }
}
