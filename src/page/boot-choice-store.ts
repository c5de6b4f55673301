// Keeps the Boot panel's choice in this browser: picked files are copied into OPFS under
// new names (boot-choice.ts: KEPT_FILE_NAME) beside the old ones, then the note is written
// to localStorage in one setItem, then the files no note names are deleted. A failure
// before the note leaves the old choice whole and deletes what was half-written; the
// worker reads kept files by name when the page boots them.
import { errorMessage } from "../util/error-message.js";
import { BOOT_CHOICE_KEY, KEPT_FILE_NAME, keptFileName, keptNames, readBootChoice, type BootChoice, type BootRole, type CheckedFacts, type ChosenImage } from "./boot-choice.js";

/** A file picked and checked in this page, not yet kept. */
export interface PickedImage {
  kind: "picked";
  file: File;
  facts: CheckedFacts;
}

export type DraftImage = ChosenImage | PickedImage;

export interface BootDraft {
  kernel: DraftImage;
  initrd?: DraftImage;
  cmdline: string;
}

/** The kept choice, or null; a note that does not read gives the reason in `problem` (and is left for "Use the bundled images" to clear). */
export function loadBootChoice(): { choice: BootChoice | null; problem?: string } {
  const raw = localStorage.getItem(BOOT_CHOICE_KEY);
  if (raw === null) return { choice: null };
  try {
    return { choice: readBootChoice(raw) };
  } catch (err) {
    return { choice: null, problem: errorMessage(err) };
  }
}

function generation(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function writeFile(root: FileSystemDirectoryHandle, name: string, file: File): Promise<void> {
  const writable = await (await root.getFileHandle(name, { create: true })).createWritable();
  try {
    await writable.write(file);
  } catch (err) {
    await writable.abort().catch(() => undefined);
    throw err;
  }
  await writable.close();
}

/** Keeps `draft` (copying its picked files first); the note is replaced only once every file is written. */
export async function keepBootChoice(draft: BootDraft): Promise<BootChoice> {
  const root = await navigator.storage.getDirectory();
  const gen = generation();
  const written: string[] = [];
  const keep = async (image: DraftImage, role: BootRole): Promise<ChosenImage> => {
    if (image.kind !== "picked") return image;
    const name = keptFileName(role, gen);
    written.push(name);
    await writeFile(root, name, image.file);
    return { kind: "kept", opfsName: name, fileName: image.file.name, ...image.facts };
  };
  let choice: BootChoice;
  try {
    const kernel = await keep(draft.kernel, "kernel");
    const initrd = draft.initrd ? await keep(draft.initrd, "initrd") : undefined;
    choice = { kernel, ...(initrd ? { initrd } : {}), cmdline: draft.cmdline };
    localStorage.setItem(BOOT_CHOICE_KEY, JSON.stringify(choice));
  } catch (err) {
    for (const name of written) await root.removeEntry(name).catch(() => undefined);
    throw new Error(`nothing was kept, and the page boots what it booted before: ${errorMessage(err)}`);
  }
  await removeKeptFiles(root, keptNames(choice));
  return choice;
}

/** Back to the bundled images: the note goes first, then every kept file. */
export async function forgetBootChoice(): Promise<void> {
  localStorage.removeItem(BOOT_CHOICE_KEY);
  await removeKeptFiles(await navigator.storage.getDirectory(), []);
}

/** Deletes the kept boot files of this origin but `keep` (OPFS directories list their names asynchronously). */
async function removeKeptFiles(root: FileSystemDirectoryHandle, keep: readonly string[]): Promise<void> {
  const listing = root as unknown as { keys(): AsyncIterable<string> };
  const stale: string[] = [];
  for await (const name of listing.keys()) if (KEPT_FILE_NAME.test(name) && !keep.includes(name)) stale.push(name);
  for (const name of stale) await root.removeEntry(name).catch(() => undefined);
}
