// User-mode networking's TCP (QEMU's -netdev user): each guest connection that leaves the
// machine becomes a socket of this process, to the name the guest looked up, the address
// it dialed, or (for the router's address) this host's own loopback. Bytes move both ways
// with backpressure on both sides: the socket is paused while the guest's connection holds
// all the host lets it (writableBytes), and the guest is told to wait (a zero window) while
// the socket's own buffer is full. A socket that fails resets the guest's connection.
import net from "node:net";
import type { OutboundTarget, OutboundTcp } from "../../backends/net/outbound.js";
import type { StreamConnection, StreamHandler } from "../../backends/net/stream-service.js";
import { errorMessage } from "../../util/error-message.js";

/** What a socket may hold of the guest's bytes before the guest is told to wait. */
export const SOCKET_BACKLOG_BYTES = 256 * 1024;

export interface SocketDialerOptions {
  /** The router's address: it stands for this host (127.0.0.1), as 10.0.2.2 does in QEMU. */
  routerIp: string;
  log(message: string): void;
  /** How to open a socket (tests count or refuse them); net.connect by default. */
  connect?: (host: string, port: number) => net.Socket;
}

export function createSocketDialer(options: SocketDialerOptions): OutboundTcp {
  const connect = options.connect ?? ((host, port) => net.connect({ host, port }));
  return (target, connection) => {
    const host = hostFor(target, options.routerIp);
    return new SocketLink(connect(host, target.port), connection, `${host}:${target.port}`, options.log).handler;
  };
}

/** Where a target is on this host's network. */
export function hostFor(target: OutboundTarget, routerIp: string): string {
  if (target.ip === routerIp) return "127.0.0.1";
  return target.name ?? target.ip;
}

/** A socket of this host and a guest connection, joined: bytes both ways with backpressure. */
export class SocketLink {
  readonly handler: StreamHandler;
  /** Bytes from the socket that the guest's connection had no room for yet. */
  private pending: Buffer | undefined;
  private socketEnded = false;
  private guestEnded = false;
  private gone = false;

  constructor(private readonly socket: net.Socket, private readonly connection: StreamConnection, label: string, log: (message: string) => void) {
    // The guest may send before the socket is up: it waits (zero window) until then.
    if (socket.connecting) connection.pauseReading();
    socket.setNoDelay(true);
    socket.on("connect", () => connection.resumeReading());
    this.socket.on("data", (chunk: Buffer) => this.fromSocket(chunk));
    this.socket.on("end", () => {
      this.socketEnded = true;
      this.flush();
    });
    this.socket.on("drain", () => connection.resumeReading()); // the socket's buffer went empty
    this.socket.on("error", (error) => {
      if (this.gone) return;
      log(`user network: ${label}: ${errorMessage(error)}; the guest's connection is reset`);
      this.gone = true;
      connection.abort();
    });
    this.socket.on("close", () => {
      if (this.gone) return;
      this.gone = true;
      // Closed without an error after its end: the guest hears FIN once the rest is out.
      if (!this.socketEnded) connection.abort();
    });
    this.handler = {
      onData: (bytes) => {
        // The array is only valid during the call: the socket keeps a copy.
        this.socket.write(Buffer.from(bytes));
        // Not at write()'s false (16 KiB): every pause drops what the guest already had in
        // flight, which it sends again only after a timeout. The socket holds at most
        // SOCKET_BACKLOG_BYTES plus the one segment that crossed it.
        if (this.socket.writableLength > SOCKET_BACKLOG_BYTES) connection.pauseReading();
      },
      onEnd: () => this.socket.end(),
      onWritable: () => this.flush(),
      onClose: () => {
        this.gone = true;
        this.socket.destroy();
      },
    };
    // An accepted socket (hostfwd) is paused until the guest's side exists: let it flow.
    if (!socket.connecting) this.flush();
  }

  private fromSocket(chunk: Buffer): void {
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.flush();
  }

  /** Hands the guest what it has room for; pauses the socket while anything waits. */
  private flush(): void {
    const pending = this.pending;
    if (pending !== undefined) {
      const room = this.connection.writableBytes;
      const n = Math.min(room, pending.length);
      if (n > 0) this.connection.write(pending.subarray(0, n));
      this.pending = n === pending.length ? undefined : pending.subarray(n);
    }
    if (this.pending !== undefined) this.socket.pause();
    else if (this.socketEnded) {
      if (!this.guestEnded) this.connection.end();
      this.guestEnded = true;
    }
    else this.socket.resume();
  }
}
