// Opening a kernel or initrd the page's machine names: a file the user gave the page, kept
// in the browser's storage (OPFS) under its name, or an https address the user confirmed
// (fetched here, with a download that stops short of its Content-Length named as such).
import type { ImageOpener } from "../machine/boot-images.js";
import { ImageError } from "../machine/images.js";
import { errorMessage } from "../util/error-message.js";

/** The largest kernel or initrd the page takes (the guest's RAM bounds it long before this). */
export const MAX_BOOT_FILE_BYTES = 512 * 1024 * 1024;

export function workerImageOpener(onBytes: (n: number) => void = () => {}): ImageOpener {
  return async (source, role) => {
    if (source.kind === "file") throw new ImageError(`the ${role} ${source.path} is a file on a host's disk: the page takes files you pick or drop, or https addresses`);
    if (source.kind === "opfs") return { name: source.name, bytes: await readStoredFile(source.name, role) };
    return { name: source.url, bytes: await download(source.url, role, onBytes) };
  };
}

async function readStoredFile(name: string, role: string): Promise<ArrayBuffer> {
  try {
    const dir = await navigator.storage.getDirectory();
    const file = await (await dir.getFileHandle(name)).getFile();
    if (file.size > MAX_BOOT_FILE_BYTES) throw new ImageError(`the ${role} ${name} is ${file.size} bytes, more than the ${MAX_BOOT_FILE_BYTES} the page takes`);
    return await file.arrayBuffer();
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`cannot read the ${role} ${name} from this browser's storage: ${errorMessage(err)}`);
  }
}

/**
 * A CORS refusal and an unreachable server fail the same way for a page that wants to read
 * the answer; an opaque request (no-cors, which cannot read it) tells the two apart.
 */
async function whyNoAnswer(url: string): Promise<string> {
  try {
    await fetch(url, { method: "HEAD", mode: "no-cors", cache: "no-store" });
    return "the server answered but does not let this page read the file (CORS: no Access-Control-Allow-Origin header for this page)";
  } catch {
    return "the server did not answer (unreachable, the connection refused, or blocked by the browser)";
  }
}

async function download(url: string, role: string, onBytes: (n: number) => void): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new ImageError(`cannot fetch the ${role} ${url}: ${await whyNoAnswer(url)} (${errorMessage(err)})`);
  }
  if (!response.ok) throw new ImageError(`cannot fetch the ${role} ${url}: HTTP ${response.status} ${response.statusText}`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_BOOT_FILE_BYTES) throw new ImageError(`the ${role} ${url} is ${declared} bytes, more than the ${MAX_BOOT_FILE_BYTES} the page takes`);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return response.arrayBuffer();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (err) {
      throw new ImageError(`the download of the ${role} ${url} broke off after ${size} bytes: ${errorMessage(err)}`);
    }
    if (chunk.done) break;
    size += chunk.value.length;
    if (size > MAX_BOOT_FILE_BYTES) {
      await reader.cancel();
      throw new ImageError(`the ${role} ${url} is more than the ${MAX_BOOT_FILE_BYTES} bytes the page takes`);
    }
    parts.push(chunk.value);
    onBytes(chunk.value.length);
  }
  if (Number.isFinite(declared) && size !== declared) throw new ImageError(`the ${role} ${url} is truncated: ${size} of ${declared} bytes arrived`);
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all.buffer;
}
