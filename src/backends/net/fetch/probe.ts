// Why a fetch() failed, as far as a page can tell: a browser reports a CORS refusal and a
// server that never answered with the same bare TypeError. A second, opaque request (HEAD
// in no-cors mode, whose answer the page may not read but whose arrival it sees) tells the
// two apart, so the guest's error page can say which it was. HEAD, so the probe changes
// nothing on the server and carries no body; bounded in time, and dropped if the guest goes.
import type { Diagnosis } from "./error-page.js";

/** How long the probe may take before the page says it does not know. */
export const PROBE_TIMEOUT_MS = 5000;

export async function probe(fetch: typeof globalThis.fetch, url: string, guestGone: AbortSignal): Promise<Diagnosis> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  const timer = setTimeout(stop, PROBE_TIMEOUT_MS);
  guestGone.addEventListener("abort", stop);
  try {
    const response = await fetch(url, { method: "HEAD", mode: "no-cors", credentials: "omit", referrerPolicy: "no-referrer", signal: controller.signal });
    void response.body?.cancel().catch(() => undefined);
    return "answered";
  } catch {
    return controller.signal.aborted ? "unknown" : "no-answer";
  } finally {
    clearTimeout(timer);
    guestGone.removeEventListener("abort", stop);
  }
}
