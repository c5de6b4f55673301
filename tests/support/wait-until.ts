// Waiting in Node for something a running machine will make true (its screen shows a
// prompt, a counter passes a mark): polled, with a deadline that names what never came.

/** Resolves once `test()` holds, checking every `pollMs`; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(test: () => boolean, what: string, timeoutMs: number, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
