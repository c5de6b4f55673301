// What a guest's HTTP request becomes for fetch(): the URL and the header fields the browser
// is given. The browser decides the rest of the request itself (Host, Connection, lengths,
// cookies, Origin), so the guest's versions of those are dropped here rather than handed to
// a fetch() that would ignore them in one browser and throw in another (Node allows some).
import type { OutboundTarget } from "../outbound.js";
import type { RequestHead } from "../services/http-request.js";

export type UrlResult = { kind: "url"; url: string } | { kind: "error"; status: number; reason: string };

/** Host names as DNS carries them; anything else could change what the URL means ("a/b@c"). */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;

/**
 * The URL for a request `head` sent on a connection to `target`: origin-form targets ("/x?y")
 * go to the name the guest looked up (or the address it dialed); absolute-form targets
 * ("http://host:port/x", what a client sends to an HTTP proxy) go where they say, so a guest
 * with http_proxy pointing at any address on port 80 can reach any http URL.
 */
export function requestUrl(target: OutboundTarget, head: RequestHead): UrlResult {
  const t = head.target;
  if (t.startsWith("/")) {
    const host = target.name ?? target.ip;
    if (!HOST_NAME.test(host)) return { kind: "error", status: 400, reason: `cannot make a URL for the host name ${JSON.stringify(host)}` };
    return checked(`http://${host}${t}`);
  }
  if (/^http:\/\//i.test(t)) return checked(t);
  if (/^https:\/\//i.test(t)) return { kind: "error", status: 501, reason: "https:// through this proxy is not supported: fetch the https URL without a proxy setting" };
  if (head.method === "CONNECT") return { kind: "error", status: 501, reason: "CONNECT (tunnels, https through a proxy) is not possible over fetch()" };
  return { kind: "error", status: 400, reason: `unsupported request target ${JSON.stringify(t.slice(0, 100))}` };
}

function checked(text: string): UrlResult {
  try {
    const url = new URL(text);
    if (url.protocol !== "http:") return { kind: "error", status: 400, reason: "only http:// URLs are carried" };
    if (url.username || url.password) return { kind: "error", status: 400, reason: "user names and passwords in URLs are not carried" };
    return { kind: "url", url: url.href };
  } catch {
    return { kind: "error", status: 400, reason: `not a valid URL: ${JSON.stringify(text.slice(0, 200))}` };
  }
}

/** Methods fetch() refuses (the Fetch standard's forbidden methods). */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Header fields the guest's request loses: hop-by-hop fields (RFC 9110 §7.6.1), the Fetch
 * standard's forbidden request headers (the browser sets those itself), and User-Agent, which
 * browsers replace anyway but which would otherwise turn every wget into a CORS preflight
 * (it is not a safelisted header) that simple servers with only Access-Control-Allow-Origin fail.
 */
const DROPPED = new Set([
  "accept-charset",
  "accept-encoding",
  "access-control-request-headers",
  "access-control-request-method",
  "connection",
  "content-length",
  "cookie",
  "cookie2",
  "date",
  "dnt",
  "expect",
  "host",
  "keep-alive",
  "origin",
  "referer",
  "set-cookie",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "via",
  // Fetch forbids these when they name a forbidden method; they are never needed here.
  "x-http-method",
  "x-http-method-override",
  "x-method-override",
]);

/** The guest's header fields as fetch() takes them, without the ones above (and any that Connection names). */
export function requestHeaders(head: RequestHead): [string, string][] {
  const named = new Set((head.headers.get("connection") ?? []).flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase()));
  const out: [string, string][] = [];
  for (const [name, values] of head.headers) {
    if (DROPPED.has(name) || named.has(name) || name.startsWith("proxy-") || name.startsWith("sec-")) continue;
    // Headers() takes ISO-8859-1 byte strings, as the parser kept them; repeated fields fold into one list.
    out.push([name, values.join(", ")]);
  }
  return out;
}

/**
 * Whether the guest wants the connection kept for another request after this one: HTTP/1.1
 * unless it says "close", HTTP/1.0 only if it says "keep-alive".
 */
export function wantsKeepAlive(head: RequestHead): boolean {
  const tokens = (head.headers.get("connection") ?? []).flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
  if (tokens.includes("close")) return false;
  return head.version === "HTTP/1.1" || tokens.includes("keep-alive");
}
