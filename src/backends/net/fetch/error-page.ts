// What the guest reads when fetch() fails. A browser says only "TypeError: Failed to fetch"
// whatever went wrong (a CORS refusal, a name that does not resolve, a refused connection,
// mixed content), on purpose, so a script cannot probe the network; the page therefore names
// the URL, gives the reason as far as it is known, and explains the rules that most often
// cause it, since the person at the guest's shell cannot see the browser's console.

/** What a probe (probe.ts) found out about a failed fetch. */
export type Diagnosis = "answered" | "no-answer" | "unknown";

/** The text of a 502 for a fetch() of `url` that threw `error`. */
export function fetchFailedPage(url: string, error: unknown, origin: string | undefined, diagnosis: Diagnosis = "unknown"): string {
  const lines = [`ringside could not fetch ${url}`, `reason: ${describeError(error)}`];
  if (diagnosis === "answered") lines.push("The server answered, but the browser keeps its response from this page: CORS (see below).");
  if (diagnosis === "no-answer") lines.push("The server did not answer the browser: unreachable, the connection refused, or the request blocked.");
  lines.push(
    "",
    "The guest's HTTP is carried by the browser's fetch(), so the browser's rules apply:",
    `- CORS: the server must allow this page's origin (${origin ?? "the page's origin"}): its response must carry`,
    "  Access-Control-Allow-Origin: * (or that origin). Requests with other methods or header",
    "  fields than a plain GET/HEAD/POST also need the server to answer a preflight OPTIONS request.",
    "- The server must be reachable from the browser (its name resolves there, it is listening).",
  );
  if (origin?.startsWith("https:")) lines.push("- This page is served over https, so the browser blocks plain http:// requests (mixed content).");
  if (diagnosis === "unknown") lines.push("The browser does not tell which of these it was; its developer console does.");
  lines.push("");
  return lines.join("\n");
}

/** The page for a request we refuse ourselves (malformed, too large, not carried). */
export function refusedPage(reason: string): string {
  return `ringside's fetch network refused the request: ${reason}\n`;
}

/** An error's message with its causes (Node's fetch puts the socket error in `cause`). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as Error & { code?: unknown }).code;
      parts.push(`${e.name}: ${e.message}${typeof code === "string" && !e.message.includes(code) ? ` (${code})` : ""}`);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(", caused by ").slice(0, 1000);
}
