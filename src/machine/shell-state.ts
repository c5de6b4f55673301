// The snapshot the site ships for an instant shell (images/shell.state, made by
// images/make-shell-state.ts) and the record beside it (images/shell.state.json) of what
// it was made from.
//
// A state holds guest RAM, so it carries the kernel and initramfs it booted: restored next
// to other images it would run the old ones without a word, and a reboot inside the guest
// would switch to the new ones. So the record names the images (and the state itself) by
// sha256, and a state made from other images is refused with a message that says which
// image changed and how to make the state again. The page compares the record with the
// digests its build wrote (image-manifest.ts): the check fetches no image. (A change of v86 version or of the
// device layout is refused by the state's own checks: machine-state.ts.)
import { IMAGE_FILES, type ImageSet } from "./images.js";
import { StateReader } from "../snapshot/state-reader.js";
import { sha256Hex } from "../util/sha256-hex.js";

export const SHELL_STATE_FILE = "shell.state";
export const SHELL_STATE_RECORD = "shell.state.json";
/** What remakes both files (after images/build.sh, a v86 update or a device change). */
export const REMAKE_SHELL_STATE = "npx tsx images/make-shell-state.ts";

export interface ShellStateRecord {
  /** sha256 (hex) of each image file the state was booted from, by file name. */
  images: Record<string, string>;
  /** The state file's own sha256: a record vouches for one state only. */
  stateSha256: string;
  /** When it was made (ISO 8601), for people. */
  madeAt: string;
}

export class StaleShellStateError extends Error {
  override name = "StaleShellStateError";
}

/** sha256 of every image, by file name (as in images/SHA256SUMS). */
export async function imageDigests(images: ImageSet): Promise<Record<string, string>> {
  const keys = Object.keys(IMAGE_FILES) as Array<keyof ImageSet>;
  const digests = await Promise.all(keys.map((key) => sha256Hex(images[key])));
  return Object.fromEntries(keys.map((key, i) => [IMAGE_FILES[key], digests[i]!]));
}

/** Checks the record's fields; throws naming the bad one. */
export function readShellStateRecord(raw: unknown): ShellStateRecord {
  const r = new StateReader(raw, "", `${SHELL_STATE_RECORD}`);
  const hex = (field: StateReader): string => {
    const value = field.string(64);
    if (!/^[0-9a-f]{64}$/.test(value)) field.fail("a sha256 in hex");
    return value;
  };
  const images = Object.fromEntries(Object.values(IMAGE_FILES).map((file) => [file, hex(r.field("images").field(file))]));
  return { images, stateSha256: hex(r.field("stateSha256")), madeAt: r.field("madeAt").string(64) };
}

// The shipped snapshot's checks, in two halves: a boot makes the images' as soon as the
// record and the build's images.json are in, the file's once all of the state is. Each
// throws a StaleShellStateError naming what changed and how to make the snapshot again.

/** The state whose sha256 is `stateSha256` must be the one the record describes. */
export function checkShellStateFile(record: ShellStateRecord, stateSha256: string): void {
  if (stateSha256 !== record.stateSha256) {
    throw new StaleShellStateError(`${SHELL_STATE_FILE} is not the state ${SHELL_STATE_RECORD} describes: make it again with ${REMAKE_SHELL_STATE}`);
  }
}

/** The record's images must be the ones whose sha256 `images` gives, by file name (the site's images.json, image-manifest.ts; or imageDigests of the files). */
export function checkShellStateImages(record: ShellStateRecord, images: Record<string, string>): void {
  const remake = `make it again with ${REMAKE_SHELL_STATE}`;
  const changed = Object.values(IMAGE_FILES).filter((file) => images[file] !== record.images[file]);
  if (changed.length > 0) {
    throw new StaleShellStateError(
      `${SHELL_STATE_FILE} was made from other images (${changed.join(", ")} changed since ${record.madeAt}): ${remake}`,
    );
  }
}
