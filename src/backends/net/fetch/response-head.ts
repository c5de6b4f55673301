// The response head the guest gets for what fetch() returned. fetch() has already undone the
// transport: it decoded chunked framing and, for the codings browsers know, decompressed the
// body, so the server's Content-Encoding and Content-Length no longer describe the bytes we
// send. The head is rebuilt with our own framing (ResponseFraming) around the body as fetch()
// hands it over.

/** How the body after the head is delimited for the guest. */
export type ResponseFraming =
  | { kind: "none" } // HEAD, 204, 304: no body follows
  | { kind: "length"; length: number }
  | { kind: "chunked" } // HTTP/1.1 guests when the length is not known in advance
  | { kind: "close" }; // HTTP/1.0 guests: the body ends when the connection does

/** Codings fetch() decodes (browsers and Node's undici); the body then no longer carries them. */
const DECODED_CODINGS = new Set(["gzip", "x-gzip", "deflate", "br", "zstd"]);

/** Response fields that describe a hop, not the resource, or that our framing replaces. */
const DROPPED = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "proxy-authenticate", "content-length"]);

export interface FetchedHead {
  /** Field pairs as the fetch Headers iterate them (lower-case names). */
  headers: [string, string][];
  /** The server's Content-Length, when it still matches the body fetch() hands over. */
  declaredLength: number | undefined;
}

/**
 * The fields worth passing on, and whether the server's length still holds. `filtered`: the
 * browser showed only CORS-safelisted fields (Response.type "cors"), so a Content-Encoding
 * may be hidden and Content-Length may count the compressed bytes: unless Content-Encoding is
 * visible, the length is not trusted (a wrong one would leave the guest waiting or cut short).
 */
export function fetchedHead(headers: Iterable<[string, string]>, filtered: boolean): FetchedHead {
  const list = [...headers];
  const encoding = list.filter(([n]) => n === "content-encoding").flatMap(([, v]) => v.split(",")).map((v) => v.trim().toLowerCase()).filter((v) => v !== "" && v !== "identity");
  const decoded = encoding.length > 0 && encoding.every((c) => DECODED_CODINGS.has(c));
  const lengthText = list.find(([n]) => n === "content-length")?.[1].trim();
  const hidden = filtered && !list.some(([n]) => n === "content-encoding");
  const declaredLength = !decoded && !hidden && lengthText !== undefined && /^\d{1,15}$/.test(lengthText) ? Number(lengthText) : undefined;
  const kept = list.filter(([n, v]) => !DROPPED.has(n) && !(decoded && n === "content-encoding") && !/[\r\n\0]/.test(v) && !/[\r\n\0]/.test(n));
  return { headers: kept, declaredLength };
}

/** Whether a response to `method` with `status` has a body at all (RFC 9110 §6.4.1). */
export function hasBody(method: string, status: number): boolean {
  return method !== "HEAD" && status !== 204 && status !== 304 && !(status >= 100 && status < 200);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content",
  205: "Reset Content", 206: "Partial Content", 300: "Multiple Choices", 301: "Moved Permanently",
  302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required",
  412: "Precondition Failed", 413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
  416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I am a teapot", 422: "Unprocessable Content",
  429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
  501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** A reason phrase: ours for known codes, else the server's if it is plain text (HTTP/2 servers send none). */
export function reasonPhrase(status: number, serverText = ""): string {
  return STATUS_TEXT[status] ?? (/^[A-Za-z][A-Za-z -]{0,60}$/.test(serverText) ? serverText : "Unknown");
}

const encoder = new TextEncoder();

/** The head: status line, the passed-on fields, then our framing and connection fields. */
export function formatResponseHead(status: number, reason: string, headers: readonly (readonly [string, string])[], framing: ResponseFraming, keepAlive: boolean): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${reason}`, ...headers.map(([n, v]) => `${n}: ${v}`)];
  if (framing.kind === "length") lines.push(`content-length: ${framing.length}`);
  if (framing.kind === "chunked") lines.push("transfer-encoding: chunked");
  lines.push(`connection: ${keepAlive && framing.kind !== "close" ? "keep-alive" : "close"}`);
  return encoder.encode(lines.join("\r\n") + "\r\n\r\n");
}

/** A complete text/plain response that we make ourselves (errors), always closing the connection. */
export function textResponse(status: number, body: string, headOnly = false): Uint8Array {
  const bytes = encoder.encode(body);
  const head = formatResponseHead(status, reasonPhrase(status), [["server", "ringside-fetch"], ["content-type", "text/plain; charset=utf-8"]], { kind: "length", length: bytes.length }, false);
  if (headOnly) return head;
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}
