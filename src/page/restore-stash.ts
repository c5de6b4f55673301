// Carries a state file the user picked across the page reload that restores it. The page
// runs one machine per load (as the disk's import and reset do, it reloads rather than
// rebuild the machine in place), so the picked file waits in the browser's Origin Private
// File System under a name only this tab knows (kept in sessionStorage), and the next
// load of this tab boots from it once, then deletes it. A later reload boots as usual.
const PENDING_KEY = "ringside-restore-pending";

interface Pending {
  /** The OPFS file holding the state. */
  stash: string;
  /** The name of the file the user picked, to show. */
  name: string;
}

export interface StashedState {
  file: File;
  name: string;
  /** Deletes the stashed copy (call once the worker has read it). */
  discard(): Promise<void>;
}

/** Copies `file` into OPFS and marks it for this tab's next load. */
export async function stashState(file: File): Promise<void> {
  const root = await navigator.storage.getDirectory();
  const stash = `ringside-restore-${crypto.randomUUID()}.state`;
  const handle = await root.getFileHandle(stash, { create: true });
  const writable = await handle.createWritable();
  try {
    await writable.write(file);
  } finally {
    await writable.close();
  }
  const pending: Pending = { stash, name: file.name };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

/**
 * The state this tab stashed before its reload, or null. The mark is taken at once, so a
 * state that fails to restore is not tried again on the next reload.
 */
export async function takeStashedState(): Promise<StashedState | null> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  if (raw === null) return null;
  sessionStorage.removeItem(PENDING_KEY);
  const pending = readPending(raw);
  const root = await navigator.storage.getDirectory();
  let file: File;
  try {
    file = await (await root.getFileHandle(pending.stash)).getFile();
  } catch (err) {
    throw new Error(`the state file picked before the reload (${pending.name}) is gone from the browser's storage: ${String(err)}`);
  }
  return {
    file,
    name: pending.name,
    discard: () => root.removeEntry(pending.stash).catch(() => undefined),
  };
}

function readPending(raw: string): Pending {
  const value: unknown = JSON.parse(raw);
  if (typeof value === "object" && value !== null) {
    const { stash, name } = value as Record<string, unknown>;
    if (typeof stash === "string" && /^ringside-restore-[0-9a-f-]+\.state$/.test(stash) && typeof name === "string") return { stash, name };
  }
  throw new Error("the note of a state to restore after the reload is damaged");
}
