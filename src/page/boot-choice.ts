// The kernel, initrd and command line the user chose in the Boot panel, as the page keeps
// it between loads: a picked file lives in this browser's storage (OPFS) under a name of
// its own, an address stays an address (fetched again at each boot), and the note of the
// choice (sources, command line, each file's name, size and sha256) is one JSON value in
// localStorage, written last (boot-choice-store.ts). Read back strictly: a note that does
// not read is refused with the reason, and the page boots the bundled images. No DOM.
import type { BootDescription, BootFileFacts, ImageSource } from "../worker/api.js";
import { LINK_DISK_NAME } from "../share/link-machine.js";
import { imageUrlProblem } from "../share/image-url.js";

export const BOOT_CHOICE_KEY = "ringside-boot-choice";
export type BootRole = "kernel" | "initrd";

/**
 * The OPFS names of kept files: "ringside-boot.kernel.<8 hex>.img". The dot after "boot"
 * keeps them outside LINK_DISK_NAME, so no share link can open the user's kernel as a disk;
 * the generation lets a new choice be written beside the old one, which stays whole until
 * the new note replaces it.
 */
export const KEPT_FILE_NAME = /^ringside-boot\.(kernel|initrd)\.[0-9a-f]{8}\.img$/;

export function keptFileName(role: BootRole, generation: string): string {
  const name = `ringside-boot.${role}.${generation}.img`;
  if (!KEPT_FILE_NAME.test(name) || LINK_DISK_NAME.test(name)) throw new Error(`not a name for a kept boot file: ${name}`);
  return name;
}

/** What the check said of a file or an address: size, sha256 and, for a kernel, its version. */
export type CheckedFacts = Pick<BootFileFacts, "bytes" | "version" | "format"> & { sha256: string };

/** The facts a choice keeps of what the worker said about a file or an address. */
export function checkedFacts(facts: BootFileFacts & { sha256: string }): CheckedFacts {
  return { bytes: facts.bytes, sha256: facts.sha256, ...(facts.version ? { version: facts.version } : {}), ...(facts.format ? { format: facts.format } : {}) };
}

/** A file the user picked, copied into this browser's storage. */
export interface KeptImage extends CheckedFacts {
  kind: "kept";
  /** Its name in OPFS (KEPT_FILE_NAME). */
  opfsName: string;
  /** The picked file's own name, to show. */
  fileName: string;
}

/** An address the user typed; the facts are from when it was checked (it is fetched again at every boot). */
export interface UrlImage extends CheckedFacts {
  kind: "url";
  url: string;
}

export type ChosenImage = KeptImage | UrlImage;

export interface BootChoice {
  kernel: ChosenImage;
  initrd?: ChosenImage;
  /** The whole kernel command line (it replaces the page's own). */
  cmdline: string;
}

/** The machine description's boot for a choice. */
export function bootOfChoice(choice: BootChoice): BootDescription {
  const source = (image: ChosenImage): ImageSource => (image.kind === "kept" ? { kind: "opfs", name: image.opfsName } : { kind: "url", url: image.url });
  return { kind: "kernel", kernel: source(choice.kernel), ...(choice.initrd ? { initrd: source(choice.initrd) } : {}) };
}

/** The name a chosen file goes by on the page: the picked file's name or the address. */
export function imageLabel(image: ChosenImage): string {
  return image.kind === "kept" ? image.fileName : image.url;
}

/** The kept files' OPFS names, which the store must leave alone. */
export function keptNames(choice: BootChoice | null): string[] {
  return [choice?.kernel, choice?.initrd].flatMap((i) => (i?.kind === "kept" ? [i.opfsName] : []));
}

class NoteError extends Error {}

function fail(why: string): never {
  throw new NoteError(why);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${where} is not an object`);
  return value as Record<string, unknown>;
}

function text(r: Record<string, unknown>, key: string, where: string, max = 4096): string {
  const v = r[key];
  if (typeof v !== "string" || v.length > max) fail(`${where}.${key} is not text`);
  return v;
}

function readImage(value: unknown, role: BootRole): ChosenImage {
  const where = role;
  const r = record(value, where);
  const bytes = r.bytes;
  if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes <= 0) fail(`${where}.bytes is not a size`);
  const sha256 = text(r, "sha256", where);
  if (!/^[0-9a-f]{64}$/.test(sha256)) fail(`${where}.sha256 is not a sha256`);
  const facts: CheckedFacts = { bytes, sha256 };
  if (r.version !== undefined) facts.version = text(r, "version", where, 256);
  if (r.format !== undefined) facts.format = text(r, "format", where, 16);
  if (r.kind === "kept") {
    const opfsName = text(r, "opfsName", where);
    if (!KEPT_FILE_NAME.test(opfsName) || !opfsName.includes(`.${role}.`)) fail(`${where}.opfsName is not a kept ${role}'s name`);
    return { kind: "kept", opfsName, fileName: text(r, "fileName", where, 1024), ...facts };
  }
  if (r.kind === "url") {
    const url = text(r, "url", where);
    const problem = imageUrlProblem(url);
    if (problem) fail(`${where}.url must be ${problem}`);
    return { kind: "url", url, ...facts };
  }
  return fail(`${where}.kind is neither "kept" nor "url"`);
}

/** The note as localStorage holds it; throws an Error saying what does not read. */
export function readBootChoice(json: string): BootChoice {
  try {
    const r = record(JSON.parse(json), "the note");
    const cmdline = text(r, "cmdline", "the note");
    if (/[\0\r\n]/.test(cmdline)) fail("the note's cmdline is not one line");
    return { kernel: readImage(r.kernel, "kernel"), ...(r.initrd !== undefined ? { initrd: readImage(r.initrd, "initrd") } : {}), cmdline };
  } catch (err) {
    const why = err instanceof NoteError ? err.message : "it is not JSON";
    throw new Error(`the kept boot choice cannot be read (${why}): the bundled images boot instead`);
  }
}
