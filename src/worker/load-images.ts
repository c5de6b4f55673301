// Fetches the guest images over HTTP with progress, naming the file that failed.
import { ImageError, loadImageSet, type ImageSet } from "../machine/images.js";
import { concatBytes } from "../util/concat-bytes.js";
import { takeEarlyResponse } from "./early-fetch.js";

/** The response to a GET of `url`; an ImageError naming it when there is none or it is not OK. */
export async function openDownload(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await (takeEarlyResponse(url) ?? fetch(url));
  } catch (err) {
    throw new ImageError(`cannot fetch ${url}: ${String(err)}`);
  }
  if (!response.ok) throw new ImageError(`cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

export async function fetchWithProgress(
  url: string,
  onLength: (n: number) => void,
  onBytes: (n: number) => void,
): Promise<ArrayBuffer> {
  const response = await openDownload(url);
  onLength(Number(response.headers.get("content-length") ?? 0));
  if (!response.body) return response.arrayBuffer();
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    onBytes(value.length);
  }
  return concatBytes(parts).buffer;
}

/** Progress counts bytes against the Content-Length of the responses that have arrived. */
export async function loadImagesOverHttp(
  baseUrl: string,
  onProgress: (loaded: number, total: number) => void,
): Promise<ImageSet> {
  let loaded = 0;
  let total = 0;
  const get = (file: string) =>
    fetchWithProgress(
      new URL(file, baseUrl).href,
      (n) => { total += n; },
      (n) => { loaded += n; onProgress(loaded, Math.max(total, loaded)); },
    );
  return loadImageSet(get);
}
