// What makes an address a wisp server's: a ws:// or wss:// URL whose path ends in "/"
// (servers take a path without it for a wsproxy one). Used wherever a person types one:
// the page's ?wisp=, the CLI's --net wisp=, a machine description.

/** Why `url` is not a wisp server's address, or undefined when it is one. */
export function wispUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `wisp: ${JSON.stringify(url)} is not a URL (want ws://host:port/ or wss://host/path/)`;
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") return `wisp: ${JSON.stringify(url)} is not a WebSocket URL: it must start with ws:// or wss://`;
  if (!parsed.pathname.endsWith("/")) return `wisp: ${JSON.stringify(url)} must end in "/" (a wisp server's URL does; without it servers take it for a wsproxy path)`;
  return undefined;
}
