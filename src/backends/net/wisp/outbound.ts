// The wisp dialer: every guest TCP connection the host network ends becomes a stream on one
// shared wisp connection (a WebSocket to the server at `url`), opened when the first guest
// connection needs it and opened again, on the next guest connection, after it died. The
// server resolves names itself: a connection whose address came from the name pool is
// dialed by that name.
import type { OutboundTcp } from "../outbound.js";
import type { WispLimits } from "./limits.js";
import type { Schedule } from "./schedule.js";
import { WispSession, type WispSessionStats } from "./session.js";
import type { WispTransport } from "./transport.js";
import { errorMessage } from "../../../util/error-message.js";

export interface WispOutboundOptions {
  /** ws:// or wss://, ending in "/" as the spec asks. */
  url: string;
  /** Opens the WebSocket (domWebSocketTransport, nodeWsTransport); may throw. */
  openTransport(url: string): WispTransport;
  log(message: string): void;
  limits?: Partial<WispLimits>;
  schedule?: Schedule;
}

export interface WispOutbound {
  tcp: OutboundTcp;
  /** Closes the connection to the server (resetting every stream); later guest connections are reset. */
  close(): void;
  /** The current (or last) connection's figures, if one was ever opened. */
  stats(): WispSessionStats | undefined;
}

// The address check every front end uses (the page, the CLI, machine descriptions).
export { wispUrlProblem } from "../../../util/wisp-url.js";
import { wispUrlProblem } from "../../../util/wisp-url.js";

/** Throws on a bad URL, naming it. Opens nothing until the guest connects somewhere. */
export function createWispOutbound(options: WispOutboundOptions): WispOutbound {
  const problem = wispUrlProblem(options.url);
  if (problem) throw new Error(problem);
  const url = new URL(options.url).href;
  let session: WispSession | undefined;
  let closed = false;

  const current = (): WispSession => {
    if (session && !session.dead) return session;
    let transport: WispTransport;
    try {
      transport = options.openTransport(url);
    } catch (caught) {
      throw new Error(`wisp: cannot open ${url}: ${errorMessage(caught)}`);
    }
    const opened: WispSession = new WispSession(transport, {
      log: options.log,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.schedule ? { schedule: options.schedule } : {}),
    });
    session = opened;
    return opened;
  };

  const tcp: OutboundTcp = (target, connection) => {
    if (closed) throw new Error("wisp: the dialer is closed");
    // Throwing resets the guest's connection, which is what a refused dial should look like.
    return current().open(target.name ?? target.ip, target.port, connection);
  };

  return {
    tcp,
    close: () => {
      closed = true;
      session?.close("closed by the machine");
    },
    stats: () => session?.stats(),
  };
}
