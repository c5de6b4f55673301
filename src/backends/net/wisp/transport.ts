// The one WebSocket a wisp session runs over, reduced to what the session needs, with
// adapters for the browser's WebSocket and Node's `ws`. Neither is imported here: this
// folder also runs in the page's worker, where `ws` does not exist, and the CLI has no
// global WebSocket (Node 20), so whoever builds the machine creates the socket and wraps it.
import { errorMessage } from "../../../util/error-message.js";

export interface WispTransport {
  /** One binary message. */
  send(bytes: Uint8Array): void;
  close(): void;
  /** Set by the session before any event can fire. */
  onOpen: (() => void) | null;
  /** One binary message; the array belongs to the session from then on. */
  onMessage: ((bytes: Uint8Array) => void) | null;
  /** The socket is gone (or never opened), with a reason for a person. Fires once. */
  onClose: ((reason: string) => void) | null;
  /**
   * Stops delivering messages until resume(), pushing back on the server through TCP.
   * Absent where the platform cannot (the browser's WebSocket): see limits.ts.
   */
  pause?(): void;
  resume?(): void;
  /** Bytes sent but not yet written to the network, where the platform says. */
  readonly bufferedAmount?: number;
}

/**
 * Asked for when opening the socket: a wisp v2 server speaks v2 only when the request
 * carries a Sec-WebSocket-Protocol header (the value is not specified), and v1 otherwise.
 */
export const WISP_SUBPROTOCOL = "wisp-v2";

/** The part of the DOM WebSocket the adapter uses. */
export interface DomWebSocketLike {
  binaryType: BinaryType;
  readonly bufferedAmount: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}

function closeText(code: number, reason: string, error: string | undefined): string {
  const parts = [`WebSocket closed (code ${code}${reason ? `, "${reason.slice(0, 120)}"` : ""})`];
  if (error) parts.push(error);
  return parts.join(": ");
}

/**
 * The browser's WebSocket (`new WebSocket(url, [WISP_SUBPROTOCOL])`). It cannot be paused,
 * and a message arrives whole however big the server made it: the hard limits of
 * limits.ts are what bound memory here.
 */
export function domWebSocketTransport(socket: DomWebSocketLike): WispTransport {
  let closed = false;
  const transport: WispTransport = {
    send: (bytes) => socket.send(bytes),
    close: () => socket.close(),
    onOpen: null,
    onMessage: null,
    onClose: null,
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
  socket.binaryType = "arraybuffer";
  socket.onopen = () => transport.onOpen?.();
  // Text messages are not wisp: dropped (the session only counts packets).
  socket.onmessage = (event) => {
    if (event.data instanceof ArrayBuffer) transport.onMessage?.(new Uint8Array(event.data));
  };
  socket.onerror = () => undefined; // the close event that follows says it, as far as a browser tells
  socket.onclose = (event) => {
    if (closed) return;
    closed = true;
    transport.onClose?.(closeText(event.code, event.reason, undefined));
  };
  return transport;
}

/** Node's `ws` WebSocket, by shape (methods, so ws's overloads fit). */
export interface NodeWsLike {
  readonly bufferedAmount: number;
  on(event: "open", listener: () => void): unknown;
  on(event: "message", listener: (data: Uint8Array | ArrayBuffer | Uint8Array[], isBinary: boolean) => void): unknown;
  on(event: "close", listener: (code: number, reason: Uint8Array) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  send(data: Uint8Array): void;
  close(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}

function messageBytes(data: Uint8Array | ArrayBuffer | Uint8Array[]): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) {
    const out = new Uint8Array(data.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of data) (out.set(part, at), (at += part.length));
    return out;
  }
  return data;
}

/**
 * Node's `ws`, created by the caller as
 * `new WebSocket(url, [WISP_SUBPROTOCOL], { maxPayload: WISP_MAX_MESSAGE_BYTES })`
 * (maxPayload: ws accepts 100 MiB messages by default). Pausable.
 */
export function nodeWsTransport(socket: NodeWsLike): WispTransport {
  let closed = false;
  let lastError: string | undefined;
  const transport: WispTransport = {
    send: (bytes) => {
      if (!closed) socket.send(bytes);
    },
    // terminate, not close: a closing handshake would wait for a server that may be gone.
    close: () => socket.terminate(),
    onOpen: null,
    onMessage: null,
    onClose: null,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
  socket.on("open", () => transport.onOpen?.());
  socket.on("message", (data, isBinary) => {
    if (isBinary) transport.onMessage?.(messageBytes(data));
  });
  socket.on("error", (error) => {
    lastError = errorMessage(error);
  });
  socket.on("close", (code, reason) => {
    if (closed) return;
    closed = true;
    transport.onClose?.(closeText(code, new TextDecoder().decode(reason), lastError));
  });
  return transport;
}
