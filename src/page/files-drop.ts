// Files for the shared folder from what the user gives the page: a drop (files and whole
// folders, read through DataTransferItem.webkitGetAsEntry, the one way a dropped folder's
// contents can be read) or a picker (<input type=file multiple>, or webkitdirectory for a
// folder, whose files carry their webkitRelativePath). Each becomes a path under `base`.
import type { ShareUpload } from "../worker/api.js";

/** Files one drop may bring (a dropped home folder would otherwise be read for minutes). */
export const MAX_DROPPED_FILES = 10_000;

/** True when a drag carries files (not text or a link), the only drags the page takes. */
export function dragHasFiles(event: DragEvent): boolean {
  return [...(event.dataTransfer?.types ?? [])].includes("Files");
}

/**
 * What a drop brings, as uploads under `base`. The DataTransfer's items are emptied once the
 * drop handler returns, so the entries (or, in a browser without them, the files) are taken
 * now, synchronously, and read afterwards.
 */
export function takeDrop(event: DragEvent, base: string): Promise<ShareUpload[]> {
  const items = [...(event.dataTransfer?.items ?? [])].filter((i) => i.kind === "file");
  const entries = items.map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const files = [...(event.dataTransfer?.files ?? [])];
  return entries.length > 0 ? uploadsFromEntries(entries, base) : Promise.resolve(uploadsFromFiles(files, base));
}

/** The dropped entries as uploads: a folder's whole tree, under `base` ("" or "a/b/"). */
export async function uploadsFromEntries(entries: FileSystemEntry[], base: string): Promise<ShareUpload[]> {
  const out: ShareUpload[] = [];
  const visit = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (out.length >= MAX_DROPPED_FILES) throw new Error(`more than ${MAX_DROPPED_FILES} files in one drop; drop fewer at a time`);
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: `${prefix}${entry.name}`, data: file });
    } else if (entry.isDirectory) {
      for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await visit(child, `${prefix}${entry.name}/`);
    }
  };
  for (const e of entries) await visit(e, base);
  return out;
}

/** Picked files as uploads: a folder picker's files keep their folder (webkitRelativePath). */
export function uploadsFromFiles(files: Iterable<File>, base: string): ShareUpload[] {
  return [...files].map((f) => ({ path: `${base}${f.webkitRelativePath || f.name}`, data: f }));
}

/** readEntries answers in batches (100 in Chromium) until it answers none. */
async function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
