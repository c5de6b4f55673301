// The disk panel: what the guest's persistent disk (/dev/vda, at /mnt) holds in numbers,
// and the buttons that copy it in and out of the browser or start it afresh. All text is
// set with textContent; file names and error messages are never parsed as HTML.
import type { DiskContents, DiskInfo, TransferProgress } from "../worker/api.js";
import { errorMessage } from "../util/error-message.js";
import { formatBytes } from "../util/format-bytes.js";
import { panelOperations, part } from "./panel-parts.js";
import { acceptFileDrops } from "./file-drop-target.js";

const POLL_MS = 1000;
const SECTOR_BYTES = 512;

/** What the panel may do to the disk; main.ts wires these to the worker API. */
export interface DiskActions {
  info(): Promise<DiskInfo>;
  /** Stops the machine and replaces the disk; the page reloads afterwards. */
  importImage(file: File, onProgress: TransferProgress): Promise<void>;
  exportImage(onProgress: TransferProgress): Promise<Blob>;
  /** Stops the machine and deletes the disk; the page reloads afterwards. */
  reset(): Promise<void>;
  /** Boots again on the changed disk. */
  reload(): void;
}

export interface DiskPanel {
  stop(): void;
}

/** Words for the machine's other disks, which this panel does not work on: ", and 1 more disk in memory". */
export function moreDisksText({ inMemory, inStorage }: DiskInfo["moreDisks"]): string {
  const n = inMemory + inStorage;
  const more = `, and ${n} more disk${n > 1 ? "s" : ""}`;
  if (n === 0) return "";
  if (inStorage === 0) return `${more} in memory`;
  if (inMemory === 0) return `${more} in this browser's storage`;
  return `${more} (${inMemory} in memory, ${inStorage} in this browser's storage)`;
}

/**
 * The panel's note on where the guest finds the disk, from what the disk holds: ringside's
 * userspace (its rc.boot, with ringside.disk=persistent) mounts an ext2/3/4 disk at /mnt,
 * formats a blank one and leaves any other as it is; another userspace may do none of it;
 * a disk with a partition table is an image to boot (?boot=disk), not one to mount.
 */
export function diskHint(ringsideUserspace: boolean, contents: DiskContents = "unknown"): string {
  const kept = "kept in this browser; drop an image here to import it";
  if (!ringsideUserspace) return `(/dev/vda, mounted at /mnt by ringside's userspace only, ${kept})`;
  if (contents === "partitioned") return `(/dev/vda holds a partition table, so it is not mounted at /mnt: boot it with ?boot=disk; ${kept})`;
  if (contents === "none") return `(/dev/vda holds no ext2/3/4 filesystem, so it is not mounted at /mnt; a blank disk is formatted at boot; ${kept})`;
  return `(/dev/vda at /mnt, ${kept})`;
}

/** `ringsideUserspace`: whether the machine boots ringside's own initrd (false: the hint says the disk is not mounted for it). */
export function createDiskPanel(panel: HTMLElement, actions: DiskActions, ringsideUserspace = true): DiskPanel {
  const capacity = part(panel, ".disk-capacity", "disk panel");
  const written = part(panel, ".disk-written", "disk panel");
  const name = part(panel, ".disk-name", "disk panel");
  const more = part(panel, ".disk-more", "disk panel");
  const hint = part(panel, ".disk-hint", "disk panel");
  hint.textContent = diskHint(ringsideUserspace);
  const importButton = part<HTMLButtonElement>(panel, ".disk-import", "disk panel");
  const exportButton = part<HTMLButtonElement>(panel, ".disk-export", "disk panel");
  const resetButton = part<HTMLButtonElement>(panel, ".disk-reset", "disk panel");
  const fileInput = part<HTMLInputElement>(panel, ".disk-file", "disk panel");
  const progress = part<HTMLProgressElement>(panel, ".disk-progress", "disk panel");
  const message = part(panel, ".disk-message", "disk panel");
  let diskName = "disk.img";
  const buttons = [importButton, exportButton, resetButton];
  const ops = panelOperations(panel, message, progress,
    () => { for (const b of buttons) b.disabled = true; },
    () => { for (const b of buttons) b.disabled = false; });
  const { say, run } = ops;

  function render(info: DiskInfo): void {
    panel.dataset.capacity = String(info.capacityBytes);
    if (info.name) diskName = info.name;
    name.textContent = info.name;
    capacity.textContent = info.exists ? formatBytes(info.capacityBytes) : "not open yet";
    written.textContent = formatBytes(info.bytesWritten);
    more.textContent = moreDisksText(info.moreDisks);
    panel.dataset.contents = info.contents;
    const said = diskHint(ringsideUserspace, info.contents);
    if (hint.textContent !== said) hint.textContent = said;
    if (!ops.busy) exportButton.disabled = !info.exists;
  }

  const onProgress: TransferProgress = (done, total) => {
    progress.hidden = false;
    progress.max = total;
    progress.value = done;
  };

  function importFile(file: File): void {
    // Checked here too (the worker checks again) so that a wrong file is refused before
    // the machine is stopped.
    if (file.size === 0) {
      say(`Cannot import ${file.name}: it is empty`, true);
      return;
    }
    if (file.size % SECTOR_BYTES !== 0) {
      say(`Cannot import ${file.name}: it is ${file.size} bytes, not a multiple of ${SECTOR_BYTES}: a disk is whole 512-byte sectors`, true);
      return;
    }
    const ok = window.confirm(
      `Replace the disk with "${file.name}" (${formatBytes(file.size)})?\n\n` +
        "Everything on the current disk is lost, and the machine restarts.",
    );
    if (!ok) return;
    void run(`Importing ${file.name}`, async () => {
      await stoppingMachine(() => actions.importImage(file, onProgress));
      say("Imported; restarting…");
      actions.reload();
    });
  }

  /** Import and reset may fail after they stopped the machine; say how to get it back. */
  async function stoppingMachine(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      throw new Error(`${errorMessage(err)} (if the terminal no longer answers, the machine has stopped: reload the page)`);
    }
  }

  importButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (file) importFile(file);
  });
  acceptFileDrops(panel, importFile);

  exportButton.addEventListener("click", () => {
    void run("Exporting", async () => {
      const blob = await actions.exportImage(onProgress);
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = diskName;
      link.click();
      // The download has its own reference by the time this runs.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      say(`Exported ${formatBytes(blob.size)} as ${diskName} (what the guest had written back; run sync first).`);
    });
  });

  resetButton.addEventListener("click", () => {
    if (!window.confirm("Erase the disk? Everything on it is lost, and the machine restarts with an empty disk.")) return;
    void run("Resetting", async () => {
      await stoppingMachine(() => actions.reset());
      say("Erased; restarting…");
      actions.reload();
    });
  });

  const poll = (): void => {
    actions.info().then(render, (err: unknown) => say(`cannot read the disk's state: ${errorMessage(err)}`, true));
  };
  poll();
  const timer = setInterval(poll, POLL_MS);
  panel.hidden = false;
  return { stop: () => clearInterval(timer) };
}
