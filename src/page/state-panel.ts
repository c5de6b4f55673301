// The machine-state panel: where the running machine came from (booted, restored from a
// file, the instant shell's snapshot), and the buttons that save the whole machine to a
// file and restore one. A file is read through by the worker before anything stops, so a
// bad one costs nothing; restoring then reloads the page to boot from it (one machine per
// page load, as the disk's import does). All text is set with textContent: file names and
// error messages are never parsed as HTML.
import type { StateSummary } from "../worker/api.js";
import { errorMessage } from "../util/error-message.js";
import { formatBytes } from "../util/format-bytes.js";
import { panelOperations, part } from "./panel-parts.js";

/** What the panel may do; main.ts wires these to the worker API. */
export interface StateActions {
  save(): Promise<Uint8Array>;
  /** Reads the file through and says what it holds; rejects with what is wrong with it. */
  check(file: File): Promise<StateSummary>;
  /** Restarts the page from the file (a reload); resolves only if that could not start. */
  restore(file: File): Promise<void>;
}

/** Where the running machine came from, as the panel says it. */
export type MachineOrigin = "booted" | "restored" | "instant" | "fallback" | "failed";

export interface StatePanel {
  /** The guest is up: it can be saved. */
  ready(): void;
  origin(kind: MachineOrigin, text: string): void;
}

/** ringside-2025-11-22-193005.state, in local time. */
export function stateFileName(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  return `ringside-${day}-${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}.state`;
}

/** What the confirmation asks before a restore; says so when the page's disk will be replaced. */
export function restoreQuestion(summary: StateSummary, fileSize: number): string {
  const lines = [
    `Restore the machine saved at ${new Date(summary.savedAt).toLocaleString()} from "${summary.name}" (${formatBytes(fileSize)})?`,
    "",
    `The running machine is replaced by it (${summary.memoryMiB} MiB of RAM${cardsInWords(summary.networkCards)}).`,
  ];
  const [first, ...more] = summary.diskBytes;
  if (first !== undefined) {
    lines.push(
      `It has a ${formatBytes(first)} disk: everything on this browser's persistent disk is replaced by the state's disk.`,
    );
  }
  if (more.length > 0) lines.push(`Its other disks (${more.map(formatBytes).join(", ")}) are kept in memory.`);
  return lines.join("\n");
}

function cardsInWords(cards: number): string {
  if (cards === 0) return "";
  return cards === 1 ? ", network card on the host network" : `, ${cards} network cards on host networks`;
}

export function createStatePanel(panel: HTMLElement, actions: StateActions): StatePanel {
  const origin = part(panel, ".state-origin", "state panel");
  const saveButton = part<HTMLButtonElement>(panel, ".state-save", "state panel");
  const restoreButton = part<HTMLButtonElement>(panel, ".state-restore", "state panel");
  const fileInput = part<HTMLInputElement>(panel, ".state-file", "state panel");
  const progress = part<HTMLProgressElement>(panel, ".state-progress", "state panel");
  const message = part(panel, ".state-message", "state panel");
  let ready = false;

  // One operation at a time, buttons off and an indeterminate progress bar meanwhile.
  const ops = panelOperations(panel, message, progress,
    () => {
      saveButton.disabled = restoreButton.disabled = true;
      progress.hidden = false;
    },
    () => {
      saveButton.disabled = !ready;
      restoreButton.disabled = false;
    });
  const { say, run } = ops;

  saveButton.addEventListener("click", () => {
    void run("Saving the machine", async () => {
      const bytes = await actions.save();
      const name = stateFileName(new Date());
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      link.click();
      // The download has its own reference by the time this runs.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      say(`Saved ${formatBytes(bytes.length)} as ${name}.`);
    });
  });

  restoreButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (!file) return;
    void run(`Checking ${file.name}`, async () => {
      let summary: StateSummary;
      try {
        summary = await actions.check(file);
      } catch (err) {
        // The machine was not touched: say what is wrong with the file and carry on.
        say(`Cannot restore ${file.name}: ${errorMessage(err)}`, true);
        return;
      }
      if (!window.confirm(restoreQuestion(summary, file.size))) {
        say("Restore cancelled.");
        return;
      }
      say(`Restarting from ${file.name}…`);
      await actions.restore(file);
    });
  });

  panel.hidden = false;
  return {
    ready() {
      ready = true;
      if (!ops.busy) saveButton.disabled = false;
    },
    origin(kind, text) {
      // A failed machine stays failed: a late origin (the boot's result) does not hide it.
      if (panel.dataset.origin === "failed") return;
      panel.dataset.origin = kind;
      origin.textContent = text;
      origin.classList.toggle("error", kind === "fallback" || kind === "failed");
    },
  };
}

/** Says in the state panel where the running machine came from. */
export function tellOrigin(panel: StatePanel, restored: StateSummary | undefined, instant: boolean, cannotRestore: string | undefined): void {
  if (cannotRestore) return panel.origin("fallback", `${cannotRestore}. Booted from scratch instead.`);
  if (!restored) return panel.origin("booted", "booted from scratch");
  const saved = new Date(restored.savedAt).toLocaleString();
  if (instant) return panel.origin("instant", `instant shell: restored from the snapshot shipped with the site (saved ${saved}; no disk)`);
  const disk = restored.diskBytes.length === 0 ? "no disk" : "its disk is now this browser's persistent disk";
  panel.origin("restored", `restored from the state ${restored.name} (saved ${saved}; ${disk})`);
}
