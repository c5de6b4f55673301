// Downloads started before anyone asked for them (the instant shell's small files, from
// the machine worker's first moment: early-work.ts), handed to the first openDownload of
// the same address. At most a handful, named by our own code, never by the guest.

const started = new Map<string, Promise<Response>>();

/** Starts fetching `url` now, unless it is already under way. */
export function fetchEarly(url: string): void {
  if (started.has(url)) return;
  const response = fetch(url);
  // A failure is reported to whoever takes the response.
  response.catch(() => {});
  started.set(url, response);
}

/** The early response for `url`, once (a second download of it fetches again), or undefined. */
export function takeEarlyResponse(url: string): Promise<Response> | undefined {
  const response = started.get(url);
  started.delete(url);
  return response;
}
