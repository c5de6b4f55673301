// Which addresses the page fetches a kernel or an initrd from, whether the user typed it
// into the Boot panel or a share link names it: https, or plain http only to this computer
// (127.0.0.0/8, [::1], localhost), which browsers count as secure too (W3C Secure
// Contexts, "potentially trustworthy") and which is how a kernel is served from one's own
// machine (and how the tests serve theirs). No user name or password in the address: a
// link must not carry credentials to show in its banner. Pure: no DOM, no I/O.

export const MAX_IMAGE_URL_CHARS = 2048;

/** Why `text` is not an address the page fetches a boot file from, or undefined when it is. */
export function imageUrlProblem(text: string): string | undefined {
  if (text.length > MAX_IMAGE_URL_CHARS) return `at most ${MAX_IMAGE_URL_CHARS} characters long`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "an absolute https:// address";
  }
  if (url.username !== "" || url.password !== "") return "an address without a user name or password";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") {
    return isLoopback(url.hostname) ? undefined : "https:// (plain http:// only for this computer: 127.0.0.1, [::1] or localhost)";
  }
  return `an https:// address, not ${url.protocol}`;
}

function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
