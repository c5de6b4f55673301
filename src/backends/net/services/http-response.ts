// Response heads as bytes. Every response says "Connection: close": the server answers one
// request per connection and then closes, which every HTTP/1.x client handles.

const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  411: "Length Required",
  413: "Content Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

export const SERVER_NAME = "ringside";

export type HeaderList = ReadonlyArray<readonly [string, string]>;

const encoder = new TextEncoder();

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Unknown";
}

/** A complete response head: status line, our standard fields, then `headers`. */
export function formatHead(status: number, contentType: string, contentLength: number, headers: HeaderList = []): Uint8Array {
  const lines = [
    `HTTP/1.1 ${status} ${statusText(status)}`,
    `Server: ${SERVER_NAME}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${contentLength}`,
    "Connection: close",
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  return encoder.encode(lines.join("\r\n") + "\r\n\r\n");
}

/** The interim response that lets a client waiting on "Expect: 100-continue" send its body. */
export const CONTINUE_HEAD = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
