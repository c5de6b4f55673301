// The fetch network: guest HTTP on port 80, to any name, carried by the browser's fetch().
// Only port 80 is taken, because only there can we assume the bytes are HTTP; any other
// connection is reset, as a host with nothing listening would. What this can reach is what
// the page's fetch() can: the browser's CORS rules apply (the server must send
// Access-Control-Allow-Origin), and the guest is told so when a request is refused.
import type { OutboundTcp } from "../outbound.js";
import type { StreamHandler } from "../stream-service.js";
import { FetchConnection } from "./fetch-connection.js";
import { UploadBudget } from "./request-body.js";

export interface FetchOutboundOptions {
  /** The fetch() to carry requests (the browser's; tests pass Node's). */
  fetch: typeof globalThis.fetch;
  /** Where failures are reported for the person running the machine (refusals, failed fetches). */
  log(message: string): void;
  /** The page's origin, named in the error page's explanation of CORS. */
  origin?: string;
}

/** The only port carried: plain HTTP. */
export const FETCH_PORT = 80;

const RESET: StreamHandler = { onData() {}, onEnd() {} };

export function createFetchOutbound(options: FetchOutboundOptions): OutboundTcp {
  // One budget for every connection's request bodies (they are held whole, see request-body.ts).
  const budget = new UploadBudget();
  // Called as a plain function: a browser's fetch() throws "Illegal invocation" when called as
  // a method of another object.
  const fetch = options.fetch;
  const resolved = { fetch: ((input, init) => fetch(input, init)) as typeof globalThis.fetch, log: (m: string) => options.log(m), origin: options.origin };
  return (target, connection) => {
    if (target.port !== FETCH_PORT) {
      connection.abort();
      return RESET;
    }
    return new FetchConnection(target, connection, resolved, budget);
  };
}
