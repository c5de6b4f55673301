// The host's view of the page's OPFS disk: the bytes the browser keeps in the image file,
// hashed in the page with the browser's own SHA-256 (crypto.subtle), which shares no code
// with the guest's sha256sum or the project's hashing. The worker holds the file open
// through a sync access handle, but Chromium still lets the page read it with getFile()
// (a snapshot of the file as it is); after the guest's fsync, that is what it wrote.
import type { Page } from "playwright-core";

/** The hex SHA-256 of `bytes` bytes of the OPFS file `name` from byte `offset`. */
export async function opfsRangeSha256(page: Page, name: string, offset: number, bytes: number): Promise<string> {
  return page.evaluate(async ({ name, offset, bytes }) => {
    const root = await navigator.storage.getDirectory();
    const file = await (await root.getFileHandle(name)).getFile();
    if (file.size < offset + bytes) throw new Error(`the OPFS file ${name} is ${file.size} bytes, too short for ${offset} + ${bytes}`);
    const digest = await crypto.subtle.digest("SHA-256", await file.slice(offset, offset + bytes).arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }, { name, offset, bytes });
}
